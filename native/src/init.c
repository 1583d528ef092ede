/*
 * The init stage: PID 1 of the new namespaces, still a copy of Node until it
 * execs. Two barriers:
 *   SYNC_ROOTFS  the runtime has written the upper dir's /etc files and set
 *                up the network: build the root filesystem (overlay, /proc,
 *                /sys, /dev, binds, pivot_root, lo) while the runtime makes
 *                the scope and registers the machine;
 *   SYNC_GO      init is in its scope and the machine is registered: the
 *                cgroup namespace (rooted at the scope), the journal stream
 *                (attributed to the scope), credentials, execve.
 * Async-signal-safe only; every failure is reported as SYNC_ERROR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "rootfs.h"
#include "stage.h"
#include "user.h"

#define JOURNAL_STDOUT "/run/systemd/journal/stdout"

/* Bounds for the container's tmpfs mounts, so a payload filling /tmp or
 * /dev/shm (or their inodes, which are kernel memory outside size=) cannot
 * take the host's memory: nspawn's limits for a guest's /tmp and /dev/shm
 * (percentages are of the host's RAM). /run holds sockets and pid files,
 * /dev a few nodes: 64 MB and 64k inodes. Pages are charged to the scope's
 * memory limit too. */
#define TMPFS_NESTED ",size=10%,nr_inodes=400k"
#define TMPFS_RUN ",size=65536k,nr_inodes=64k"

struct init_ctx {
	const struct tsm_config *cfg;
	int sync;
	int rootfd;
	int usernsfd; /* --private-users, else -1 */
};

#define FAIL(ctx, syscall, what, path) tsm_fail((ctx)->sync, "init", syscall, what, path)
#define FAIL_STEP(ctx, step) tsm_fail_step((ctx)->sync, "init", step)

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Connected after release, so journald sees a process already in the scope
 * and attributes the stream to the unit. The socket lives on the host, out
 * of sight since pivot_root: `pathfd` is an O_PATH descriptor of it opened
 * before, and connect() follows /proc/self/fd/N to the socket itself (as
 * systemd does for socket paths too long for sun_path). */
static void stdio_journal(struct init_ctx *c, int pathfd)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		FAIL(c, "socket", "journal", JOURNAL_STDOUT);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	tsm_fd_path(pathfd, sa.sun_path);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		FAIL(c, "connect", "journal", JOURNAL_STDOUT);
	if (write_all(s, c->cfg->journal_header, c->cfg->journal_header_len) < 0)
		FAIL(c, "write", "journal header", JOURNAL_STDOUT);
	shutdown(s, SHUT_RD);
	close(pathfd);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0)
		FAIL(c, "open", "stdin", "/dev/null");
	if (dup2(null, 0) < 0 || dup2(s, 1) < 0 || dup2(s, 2) < 0)
		FAIL(c, "dup2", "journal", JOURNAL_STDOUT);
}

/* --private-users: each layer, mapped so that host uid 0 reads as the
 * namespace's 0 (host BASE). A layer listed twice is mapped once. */
static void idmap_layers(struct init_ctx *c)
{
	struct tsm_step step;
	const struct tsm_config *cfg = c->cfg;
	for (int i = 0; i < cfg->nlowers; i++) {
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = strcmp(cfg->lowers[i], cfg->lowers[j]) == 0;
		if (!seen && tsm_idmap_layer(cfg->lowers[i], c->usernsfd, &step) < 0)
			FAIL_STEP(c, &step);
	}
}

/* --private-users: root of the namespace has no capability over the network
 * namespace (the host's user namespace owns it), so ports below 1024 and
 * ping sockets are opened up for it, as docker does for rootless. */
static void userns_sysctls(struct init_ctx *c)
{
	static const char *const files[][2] = {
		{"/proc/sys/net/ipv4/ip_unprivileged_port_start", "0\n"},
		{"/proc/sys/net/ipv4/ping_group_range", "0 2147483647\n"},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* The host's /proc, before pivot_root: net sysctls are those of
		 * the reader's network namespace, which is the container's. */
		int fd = open(files[i][0], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, files[i][1], strlen(files[i][1])) < 0)
			FAIL(c, "write", "sysctl", files[i][0]);
		close(fd);
	}
}

static void mount_overlay(struct init_ctx *c)
{
	const struct tsm_config *cfg = c->cfg;
	/* Our mounts must not propagate back to the host (or receive its). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		FAIL(c, "mount", "rprivate", "/");
	if (c->usernsfd >= 0)
		idmap_layers(c);
	/* overlay resolves relative lowerdirs against our cwd (see request.c) */
	if (cfg->lower_dir && chdir(cfg->lower_dir) < 0)
		FAIL(c, "chdir", "layers", cfg->lower_dir);
	if (mount("overlay", cfg->mountpoint, "overlay", 0, cfg->overlay_opts) < 0)
		FAIL(c, "mount", "overlay", cfg->mountpoint);
	c->rootfd = open(cfg->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		FAIL(c, "open", "rootfs", cfg->mountpoint);
}

static void dir_mount(struct init_ctx *c, const char *src, const char *path, const char *fstype,
		      unsigned long flags, const char *data)
{
	if (tsm_mkpath_in_root(c->rootfd, path, 1) < 0)
		FAIL(c, "mkdir", fstype, path);
	if (tsm_mount_in_root(c->rootfd, src, path, fstype, flags, data) < 0)
		FAIL(c, "mount", fstype, path);
}

static void mount_proc_sys(struct init_ctx *c)
{
	const char *step;
	dir_mount(c, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

	if (tsm_mkpath_in_root(c->rootfd, "/sys", 1) < 0)
		FAIL(c, "mkdir", "sysfs", "/sys");
	if (tsm_mount_in_root(c->rootfd, "sysfs", "/sys", "sysfs",
			      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		/* sysfs refuses a fresh mount when we do not own the network
		 * namespace; a read-only bind of the host's is the fallback
		 * (its submounts read-only too, where mount_setattr exists). */
		if (tsm_bind_in_root(c->rootfd, "/sys", "/sys", 1, &step) < 0)
			FAIL(c, "mount", "sysfs", "/sys");
	}
	struct tsm_step s;
	if (c->cfg->mask && tsm_mask_paths(c->rootfd, &s) < 0)
		FAIL_STEP(c, &s);
}

static void bind_node(struct init_ctx *c, const char *host, const char *path)
{
	const char *step;
	if (tsm_mkpath_in_root(c->rootfd, path, 0) < 0)
		FAIL(c, "open", "device node", path);
	if (tsm_bind_in_root(c->rootfd, host, path, 0, &step) < 0)
		FAIL(c, "mount", "bind device", path);
}


static void mount_dev(struct init_ctx *c)
{
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		{"pts/ptmx", "ptmx"},
	};
	char host[32], path[32];

	dir_mount(c, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755" TMPFS_RUN);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		strcpy(host, "/dev/");
		strcat(host, nodes[i]);
		bind_node(c, host, host);
	}
	dir_mount(c, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620,gid=5");
	dir_mount(c, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, c->cfg->shm_opts);
	/* /dev/null, never a terminal of the host's (TIOCSTI would type into
	 * the admin's shell): with -t the payload's pty goes over it later,
	 * once it exists; without, the CLI relays a terminal through pipes. */
	strcpy(path, "/dev/console");
	bind_node(c, "/dev/null", path);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (tsm_symlink_in_root(c->rootfd, links[i][0], "/dev", links[i][1]) < 0)
			FAIL(c, "symlink", links[i][1], "/dev");
}

static void mount_binds(struct init_ctx *c)
{
	const struct tsm_config *cfg = c->cfg;
	struct stat st;
	const char *step;
	for (int i = 0; i < cfg->nbinds; i++) {
		const struct tsm_bind *b = &cfg->binds[i];
		if (stat(b->src, &st) < 0)
			FAIL(c, "stat", "bind source", b->src);
		if (tsm_mkpath_in_root(c->rootfd, b->dst, S_ISDIR(st.st_mode)) < 0)
			FAIL(c, "mkdir", "bind target", b->dst);
		if (tsm_bind_in_root(c->rootfd, b->src, b->dst, b->ro, &step) < 0)
			FAIL(c, "mount", step, b->dst);
	}
}

static void pivot(struct init_ctx *c)
{
	struct tsm_step step;
	int newroot = tsm_open_in_root(c->rootfd, "/", O_DIRECTORY | O_RDONLY);
	if (newroot < 0)
		FAIL(c, "open", "new root", c->cfg->mountpoint);
	if (fchdir(newroot) < 0)
		FAIL(c, "fchdir", "new root", c->cfg->mountpoint);
	if (tsm_pivot_here(c->cfg->mountpoint, &step) < 0)
		FAIL_STEP(c, &step);
	if (chdir("/") < 0)
		FAIL(c, "chdir", "", "/");
	close(newroot);
	close(c->rootfd);
	c->rootfd = -1;
}

static void loopback_up(struct init_ctx *c)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		FAIL(c, "socket", "lo", "");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		FAIL(c, "ioctl", "SIOCGIFFLAGS lo", "");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		FAIL(c, "ioctl", "SIOCSIFFLAGS lo", "");
	close(s);
}

void tsm_init_stage(const struct tsm_config *cfg, int syncfd, int usernsfd)
{
	struct init_ctx ctx = {cfg, syncfd, -1, usernsfd};
	struct init_ctx *c = &ctx;
	struct tsm_sync_msg msg;
	struct tsm_step step;

	/* Barrier 1. EOF means the runtime gave up (or died): just go. */
	if (tsm_recv(syncfd, &msg) != 1 || msg.type != SYNC_ROOTFS)
		_exit(1);

	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		FAIL(c, "sethostname", "", cfg->hostname);
	int journal = -1;
	if (cfg->stdio == TSM_STDIO_JOURNAL) {
		journal = open(JOURNAL_STDOUT, O_PATH | O_CLOEXEC);
		if (journal < 0)
			FAIL(c, "open", "journal", JOURNAL_STDOUT);
	}
	if (usernsfd >= 0 && !cfg->hostnet)
		userns_sysctls(c);
	mount_overlay(c);
	mount_proc_sys(c);
	mount_dev(c);
	dir_mount(c, "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=755" TMPFS_RUN);
	dir_mount(c, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=1777" TMPFS_NESTED);
	/* Last, so that binds into /run, /tmp or /dev are not hidden. */
	mount_binds(c);
	pivot(c);
	if (!cfg->hostnet)
		loopback_up(c);

	/* Barrier 2. */
	if (tsm_recv(syncfd, &msg) != 1 || msg.type != SYNC_GO)
		_exit(1);

	if (unshare(CLONE_NEWCGROUP) < 0)
		FAIL(c, "unshare", "cgroup", "");
	/* Now that its root is the scope. Our own sysfs (or a read-only bind of
	 * the host's), which nothing in the container has touched yet. Optional:
	 * hosts still on cgroup v1 may refuse it. */
	mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (journal >= 0)
		stdio_journal(c, journal);
	else if (cfg->stdio == TSM_STDIO_FDS && tsm_stdio_fds(cfg->fds, &step) < 0)
		FAIL_STEP(c, &step);
	/* After pivot_root: /dev/pts is now the container's own instance. */
	if (cfg->stdio == TSM_STDIO_PTY) {
		if (tsm_pty_setup(cfg, c->sync, &step) < 0)
			FAIL_STEP(c, &step);
		/* The container's console is the payload's terminal, as with runc
		 * and nspawn: what an init or a getty writes to /dev/console shows
		 * up in the user's terminal. Bound over the /dev/null placeholder
		 * through the open slave, so no /dev/pts/N path is looked up. */
		if (mount("/proc/self/fd/0", "/dev/console", NULL, MS_BIND, NULL) < 0)
			FAIL(c, "mount", "console", "/dev/console");
	}
	if (chdir(cfg->cwd) < 0)
		FAIL(c, "chdir", "cwd", cfg->cwd);
	/* After pivot_root: the names are the container's, not the host's. */
	struct tsm_user user;
	if (cfg->user && tsm_resolve_user(cfg->user, &user, &step) < 0)
		FAIL_STEP(c, &step);
	if (usernsfd >= 0) {
		/* The host's view of the terminal's new owner (best effort, as
		 * tsm_user_owns_tty), then the namespace: from here on uid 0 is
		 * host BASE, with no power over anything the host owns. */
		if (cfg->stdio == TSM_STDIO_PTY &&
		    fchown(0, cfg->userns_base + (cfg->user ? user.uid : 0), (gid_t)-1) < 0 && errno == EBADF)
			FAIL(c, "fchown", "pty", "");
		if (tsm_userns_enter(usernsfd, &step) < 0)
			FAIL_STEP(c, &step);
		close(usernsfd);
	}
	/* While we still hold CAP_SYS_ADMIN, which installing a filter needs
	 * without no_new_privs (in the user namespace, when there is one: the
	 * filter denies setns, so it comes after entering it). What follows
	 * until execve (capset, setgroups, setres[ug]id, prctl, execve) is not
	 * on its list. */
	if (cfg->seccomp && tsm_seccomp(&step) < 0)
		FAIL_STEP(c, &step);
	if (cfg->nnp && tsm_no_new_privs(&step) < 0)
		FAIL_STEP(c, &step);
	/* Last of the privileged steps (mounts, lo, TIOCSCTTY need more). */
	if (tsm_drop_caps(cfg->caps, &step) < 0)
		FAIL_STEP(c, &step);
	char *const *envp = cfg->envp;
	char *envbuf[cfg->nenv + 2], home[sizeof(user.home) + 5];
	if (cfg->user) {
		if (usernsfd < 0)
			tsm_user_owns_tty(cfg, &user);
		if (tsm_become_user(&user, &step) < 0)
			FAIL_STEP(c, &step);
		envp = tsm_env_with_home(envp, &user, envbuf, cfg->nenv + 2, home, sizeof(home));
	}
	tsm_reset_signals();
	tsm_cloexec_from(3);
	tsm_execvpe(cfg->argv, envp, cfg->path_env);
	FAIL(c, "execve", "", cfg->argv[0]);
}
