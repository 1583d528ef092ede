/*
 * The OCI init stage: PID 1 of the container's new namespaces, a copy of
 * Node until its execve. It waits for SYNC_ROOTFS (the runtime has made the
 * scope, registered the machine, run the createRuntime/prestart hooks and
 * written the state file), builds the container as config.json says, reports
 * SYNC_CREATED and parks opening exec.fifo for writing, which blocks until
 * `start` opens it for reading. Then it execs the payload.
 *
 * The order is runc's (libcontainer's prepareRootfs, standard init): what a
 * config.json author expects from runc and crun. Failures before
 * SYNC_CREATED go back to the runtime as SYNC_ERROR; after it nobody waits on
 * the socket, so one line goes to the payload's stderr and init exits 127.
 * Async-signal-safe only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "oci.h"
#include "rootfs.h"
#include "stage.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define TSM_MOUNT_ATTR_RDONLY 0x00000001
#define TSM_AT_RECURSIVE 0x8000
struct tsm_mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

#define PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
/* Flags a remount must repeat when the kernel locked them on the source
 * (statfs's ST_* values are the MS_* ones). */
#define LOCKABLE (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

struct oci_init {
	const struct tsm_oci_config *cfg;
	int sync;     /* -1 once SYNC_CREATED went out */
	int rootfd;   /* the container's root: the rootfs before pivot_root, "/" after */
	int fifofd;   /* exec.fifo, O_PATH */
	int statefd;  /* the state JSON for the container hooks, or -1 */
	int userns;   /* in a user namespace other than the host's: no mknod */
	char path_buf[PATH_MAX]; /* what execve runs */
};

__attribute__((noreturn)) static void fail(struct oci_init *c, const char *syscall, const char *what, const char *path)
{
	struct tsm_step s = {syscall, what, path};
	if (c->sync >= 0)
		tsm_fail_step(c->sync, "init", &s);
	tsm_oci_die("init", &s);
}
#define FAIL(c, syscall, what, path) fail(c, syscall, what, path)

__attribute__((noreturn)) static void fail_step(struct oci_init *c, const struct tsm_step *s)
{
	fail(c, s->syscall, s->what, s->path);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* ---- before anything: host files, ids ---------------------------------- */

/* Bind sources opened as host root (userns only; runc's mount source fds);
 * beyond this many, the path is used. */
#define MAX_SRCFDS 256
static int srcfds[MAX_SRCFDS];

/* Host paths that a user namespace's root may not reach (the state dir is
 * root's, 0700): opened while our fsuid is still host root. */
static void open_host_files(struct oci_init *c)
{
	const struct tsm_oci_config *cfg = c->cfg;
	for (int i = 0; i < cfg->nmounts && i < MAX_SRCFDS; i++) {
		const struct tsm_oci_mount *m = &cfg->mounts[i];
		srcfds[i] = -1;
		if (c->userns && ((m->flags & MS_BIND) || strcmp(m->type, "bind") == 0)) {
			srcfds[i] = open(m->src, O_PATH | O_CLOEXEC);
			if (srcfds[i] < 0)
				FAIL(c, "open", "bind source", m->src);
		}
	}
	c->fifofd = open(cfg->fifo, O_PATH | O_CLOEXEC);
	if (c->fifofd < 0)
		FAIL(c, "open", "exec.fifo", cfg->fifo);
	c->statefd = -1;
	if (cfg->nhooks && cfg->state_file) {
		c->statefd = open(cfg->state_file, O_RDONLY | O_CLOEXEC);
		if (c->statefd < 0)
			FAIL(c, "open", "state file", cfg->state_file);
	}
}

/* In a user namespace our ids are still host root's, unmapped there: become
 * the namespace's root, as runc does, so what init creates belongs to it.
 * Best effort where 0 is not mapped (a rootless-style map). */
static void become_userns_root(struct oci_init *c)
{
	if (!c->userns)
		return;
	syscall(SYS_setgroups, 0, NULL); /* refused where setgroups is denied: harmless */
	if (syscall(SYS_setresgid, 0, 0, 0) < 0 && errno != EINVAL)
		FAIL(c, "setresgid", "userns root", "");
	if (syscall(SYS_setresuid, 0, 0, 0) < 0 && errno != EINVAL)
		FAIL(c, "setresuid", "userns root", "");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		FAIL(c, "prctl", "PR_SET_DUMPABLE", "");
}

/* ---- the root filesystem (before pivot_root) ---------------------------- */

static void prepare_root(struct oci_init *c)
{
	const struct tsm_oci_config *cfg = c->cfg;
	/* Host mounts may still reach us (rslave), ours never reach the host. */
	unsigned long prop = cfg->root_prop ? cfg->root_prop : MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		FAIL(c, "mount", "rootfsPropagation", "/");
	/* pivot_root refuses a shared new root, a shared parent of it and a
	 * shared current root (runc makes the rootfs's parent private): with
	 * rshared, "/" alone goes private (its submounts stay shared) and the
	 * rootfs is bound twice, the first bind private, so the root's parent
	 * is never shared. */
	int shared = (prop & MS_SHARED) != 0;
	if (shared && mount(NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
		FAIL(c, "mount", "private /", "/");
	/* A mount of its own: pivot_root needs one, and the rootfs is a plain
	 * directory of the bundle more often than not. */
	if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		FAIL(c, "mount", "rootfs", cfg->rootfs);
	if (shared && (mount(NULL, cfg->rootfs, NULL, MS_PRIVATE, NULL) < 0 ||
		       mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0))
		FAIL(c, "mount", "rootfs", cfg->rootfs);
	c->rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		FAIL(c, "open", "rootfs", cfg->rootfs);
}

/* A bind's other flags need a remount; EPERM means the source has flags the
 * kernel locked (a mount from a less privileged namespace): keep them. */
static void remount_bind(struct oci_init *c, const char *dst, unsigned long flags)
{
	char proc[32];
	struct statfs sfs;
	int fd = tsm_open_in_root(c->rootfd, dst, O_PATH);
	if (fd < 0)
		FAIL(c, "open", "bind remount", dst);
	tsm_fd_path(fd, proc);
	int r = mount(NULL, proc, NULL, MS_BIND | MS_REMOUNT | flags, NULL);
	if (r < 0 && errno == EPERM && fstatfs(fd, &sfs) == 0)
		r = mount(NULL, proc, NULL, MS_BIND | MS_REMOUNT | flags | ((unsigned long)sfs.f_flags & LOCKABLE), NULL);
	if (r < 0)
		FAIL(c, "mount", "bind remount", dst);
	close(fd);
}

static void recursive_readonly(struct oci_init *c, const char *dst)
{
	struct tsm_mount_attr attr = {TSM_MOUNT_ATTR_RDONLY, 0, 0, 0};
	int fd = tsm_open_in_root(c->rootfd, dst, O_PATH);
	if (fd < 0)
		FAIL(c, "open", "rro", dst);
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | TSM_AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		FAIL(c, "mount_setattr", "rro", dst);
	close(fd);
}

static void do_mount(struct oci_init *c, const struct tsm_oci_mount *m, int srcfd)
{
	const char *step;
	int bind = (m->flags & MS_BIND) || strcmp(m->type, "bind") == 0;
	if (bind) {
		struct stat st;
		char fdsrc[32];
		const char *src = srcfd >= 0 ? tsm_fd_path(srcfd, fdsrc) : m->src;
		if ((srcfd >= 0 ? fstat(srcfd, &st) : stat(m->src, &st)) < 0)
			FAIL(c, "stat", "bind source", m->src);
		/* A file bound over a file: the target is created empty. */
		if (tsm_mkpath_in_root(c->rootfd, m->dst, S_ISDIR(st.st_mode)) < 0)
			FAIL(c, "mkdir", "mount destination", m->dst);
		if (tsm_mount_in_root(c->rootfd, src, m->dst, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
			FAIL(c, "mount", "bind", m->dst);
		if (srcfd >= 0)
			close(srcfd);
		unsigned long rest = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT | PROPAGATION);
		if (rest)
			remount_bind(c, m->dst, rest);
		if (m->rro)
			recursive_readonly(c, m->dst);
	} else {
		/* config.json's "cgroup" is the cgroup file system of the
		 * container's cgroup namespace: cgroup2 (v1 is not supported). */
		const char *type = strcmp(m->type, "cgroup") == 0 ? "cgroup2" : m->type;
		const char *data = m->data && m->data[0] ? m->data : NULL;
		if (tsm_mkpath_in_root(c->rootfd, m->dst, 1) < 0)
			FAIL(c, "mkdir", "mount destination", m->dst);
		if (tsm_mount_in_root(c->rootfd, m->src, m->dst, type, m->flags, data) < 0) {
			/* sysfs refuses a fresh mount in a network namespace we do
			 * not own (joined, or the host's): a read-only bind of the
			 * host's, as runc does. */
			if (!(strcmp(type, "sysfs") == 0 && errno == EPERM) ||
			    tsm_bind_in_root(c->rootfd, "/sys", m->dst, 1, &step) < 0)
				FAIL(c, "mount", type, m->dst);
		}
	}
	for (int i = 0; i < m->nprops; i++)
		if (tsm_mount_in_root(c->rootfd, NULL, m->dst, NULL, m->props[i], NULL) < 0)
			FAIL(c, "mount", "propagation", m->dst);
}

/* "/dev/x/name" → the parent directory resolved in the root, and name. */
static int open_parent(struct oci_init *c, const char *path, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (!slash || !slash[1] || n >= sizeof(dir)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	*name = slash + 1;
	if (n && tsm_mkpath_in_root(c->rootfd, dir, 1) < 0)
		return -1;
	return tsm_open_in_root(c->rootfd, n ? dir : "/", O_PATH | O_DIRECTORY);
}

static void make_device(struct oci_init *c, const struct tsm_oci_device *d)
{
	const char *step, *name;
	/* A user namespace may not mknod: the host's node of the same path is
	 * bound over an empty file instead (runc's rootless way). */
	if (c->userns) {
		if (tsm_mkpath_in_root(c->rootfd, d->path, 0) < 0)
			FAIL(c, "open", "device", d->path);
		if (tsm_bind_in_root(c->rootfd, d->path, d->path, 0, &step) < 0)
			FAIL(c, "mount", "bind device", d->path);
		return;
	}
	int dfd = open_parent(c, d->path, &name);
	if (dfd < 0)
		FAIL(c, "open", "device directory", d->path);
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	/* The mode exactly as config.json says, whatever Node's umask. */
	mode_t old = umask(0);
	int r = mknodat(dfd, name, type | d->mode, makedev(d->major, d->minor));
	umask(old);
	if (r < 0 && errno != EEXIST) /* as runc: an existing node stays */
		FAIL(c, "mknod", "device", d->path);
	if (r == 0 && fchownat(dfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		FAIL(c, "chown", "device", d->path);
	close(dfd);
}

/* What runc adds to a /dev it mounted itself; an image's or a bound /dev
 * has its own. */
static void dev_links(struct oci_init *c)
{
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	};
	const struct tsm_oci_config *cfg = c->cfg;
	int own = 0;
	for (int i = 0; i < cfg->nmounts; i++)
		if (strcmp(cfg->mounts[i].dst, "/dev") == 0)
			own = strcmp(cfg->mounts[i].type, "tmpfs") == 0 && !(cfg->mounts[i].flags & MS_BIND);
	for (size_t i = 0; own && i < sizeof(links) / sizeof(links[0]); i++)
		if (tsm_symlink_in_root(c->rootfd, links[i][0], "/dev", links[i][1]) < 0)
			FAIL(c, "symlink", links[i][1], "/dev");
	/* The placeholder the pty is bound over (tsm_oci_terminal), whoever
	 * made /dev. */
	if (cfg->proc.terminal && tsm_mkpath_in_root(c->rootfd, "/dev/console", 0) < 0)
		FAIL(c, "open", "console", "/dev/console");
}

/* ---- hooks -------------------------------------------------------------- */

static int elapsed_ms(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* One hook, stdin the state JSON; a nonzero exit or the timeout fails the
 * container, as the spec asks for createContainer and startContainer. */
static void run_hook(struct oci_init *c, const struct tsm_oci_hook *h)
{
	static char what[40];
	int status;
	pid_t pid = tsm_clone(0);
	if (pid < 0)
		FAIL(c, "clone", "hook", h->path);
	if (pid == 0) {
		if (c->statefd >= 0) {
			lseek(c->statefd, 0, SEEK_SET);
			dup2(c->statefd, 0);
		}
		tsm_oci_stdio_fixup();
		tsm_cloexec_from(3);
		execve(h->path, h->argv, h->envp);
		_exit(127);
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, &status, h->timeout ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			FAIL(c, "waitpid", "hook", h->path);
		if (r == 0 && elapsed_ms(&t0) >= h->timeout * 1000) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			errno = ETIMEDOUT;
			FAIL(c, "hook", h->kind == TSM_HOOK_CREATE_CONTAINER ? "createContainer" : "startContainer",
			     h->path);
		}
		if (r == 0) {
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	char num[12];
	tsm_strlcpy(what, h->kind == TSM_HOOK_CREATE_CONTAINER ? "createContainer exit " : "startContainer exit ",
		    sizeof(what));
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	size_t n = strlen(what);
	tsm_strlcpy(what + n, tsm_itoa(code, num), sizeof(what) - n);
	errno = ECANCELED;
	FAIL(c, "hook", what, h->path);
}

static void run_hooks(struct oci_init *c, int kind)
{
	for (int i = 0; i < c->cfg->nhooks; i++)
		if (c->cfg->hooks[i].kind == kind)
			run_hook(c, &c->cfg->hooks[i]);
}

/* ---- pivot and after ---------------------------------------------------- */

static void enter_root(struct oci_init *c)
{
	const struct tsm_oci_config *cfg = c->cfg;
	struct tsm_step s;
	int newroot = tsm_open_in_root(c->rootfd, "/", O_DIRECTORY | O_RDONLY);
	if (newroot < 0)
		FAIL(c, "open", "new root", cfg->rootfs);
	if (fchdir(newroot) < 0)
		FAIL(c, "fchdir", "new root", cfg->rootfs);
	if (cfg->no_pivot) {
		/* --no-pivot (a rootfs on ramfs, where pivot_root is refused):
		 * the old root stays below, reachable by a chroot escape, which
		 * is why it is not the default. */
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			FAIL(c, "mount", "MS_MOVE", cfg->rootfs);
		if (chroot(".") < 0)
			FAIL(c, "chroot", "", cfg->rootfs);
	} else if (tsm_pivot_here(cfg->rootfs, &s) < 0) {
		fail_step(c, &s);
	}
	if (chdir("/") < 0)
		FAIL(c, "chdir", "", "/");
	close(newroot);
	close(c->rootfd);
	/* From here paths are the container's; the helpers still keep an
	 * image's symlinks inside it. */
	c->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		FAIL(c, "open", "root", "/");
}

static void readonly_root(struct oci_init *c)
{
	struct statfs sfs;
	unsigned long keep = statfs("/", &sfs) == 0 ? (unsigned long)sfs.f_flags & LOCKABLE : 0;
	if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		FAIL(c, "mount", "readonly root", "/");
}

static void set_names(struct oci_init *c)
{
	const struct tsm_oci_config *cfg = c->cfg;
	/* Only in a UTS namespace of ours: never the host's names. */
	if (!(cfg->new_ns & CLONE_NEWUTS))
		return;
	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		FAIL(c, "sethostname", "", cfg->hostname);
	if (cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		FAIL(c, "setdomainname", "", cfg->domainname);
}

/* "net.ipv4.ip_forward=1" → /proc/sys/net/ipv4/ip_forward (src/kernel/oci.ts
 * let no ".." through). The container's
 * /proc: net, ipc and uts keys are those of its namespaces. */
static void sysctls(struct oci_init *c)
{
	static char path[256];
	for (char **kv = c->cfg->sysctl; *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		size_t klen = (size_t)(eq - *kv);
		if (klen + sizeof("/proc/sys/") > sizeof(path)) {
			errno = ENAMETOOLONG;
			FAIL(c, "write", "sysctl", *kv);
		}
		/* runc's slash form keeps dots that are part of a name
		 * (net/ipv4/conf/eth0.100/forwarding). */
		const char *slash = memchr(*kv, '/', klen);
		strcpy(path, "/proc/sys/");
		for (size_t i = 0; i < klen; i++)
			path[10 + i] = (*kv)[i] == '.' && !slash ? '/' : (*kv)[i];
		path[10 + klen] = '\0';
		if (write_file(path, eq + 1) < 0)
			FAIL(c, "write", "sysctl", path);
	}
}

static void readonly_paths(struct oci_init *c)
{
	char src[32];
	const char *step;
	for (char **p = c->cfg->ro_paths; *p; p++) {
		int fd = tsm_open_in_root(c->rootfd, *p, O_PATH);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			FAIL(c, "open", "readonly path", *p);
		/* Onto itself, named by the fd that resolved in the root. */
		if (tsm_bind_in_root(c->rootfd, tsm_fd_path(fd, src), *p, 1, &step) < 0)
			FAIL(c, "mount", "readonly path", *p);
		close(fd);
	}
}

static void masked_paths(struct oci_init *c)
{
	const char *step;
	struct stat st;
	for (char **p = c->cfg->masked; *p; p++) {
		int fd = tsm_open_in_root(c->rootfd, *p, O_PATH);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			FAIL(c, "open", "masked path", *p);
		close(fd);
		/* Directories get an empty read-only tmpfs, files /dev/null. */
		int r = S_ISDIR(st.st_mode) ? tsm_mount_in_root(c->rootfd, "tmpfs", *p, "tmpfs", MS_RDONLY, NULL)
					    : tsm_bind_in_root(c->rootfd, "/dev/null", *p, 0, &step);
		if (r < 0)
			FAIL(c, "mount", "masked path", *p);
	}
}

/*
 * Parked, init may wait for days: it must not hold what Node had open (the
 * runtime's lock on the state dir, its bus connection, the caller's other
 * pipes), or `start` and `delete` would wait for it. Everything from
 * 3 + preserve goes, but for the fifo and the state file.
 */
static void close_range_from(unsigned int lo, unsigned int hi)
{
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	/* Before 5.9: Node rarely has more than a few hundred fds. */
	for (unsigned int fd = lo; fd <= hi && fd < 4096; fd++)
		close((int)fd);
}

static void close_all_but(int low, int keep[], int n)
{
	for (int i = 1; i < n; i++) /* a few: insertion sort */
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		if (keep[i] < low)
			continue;
		if (keep[i] > low)
			close_range_from((unsigned int)low, (unsigned int)keep[i] - 1);
		low = keep[i] + 1;
	}
	close_range_from((unsigned int)low, ~0U);
}

/* ---- the stage ---------------------------------------------------------- */

void tsm_oci_init_stage(const struct tsm_oci_config *cfg, int syncfd)
{
	static struct oci_init ctx; /* PATH_MAX inside: off the copied stack */
	struct oci_init *c = &ctx;
	const struct tsm_oci_process *p = &cfg->proc;
	struct tsm_sync_msg msg;
	struct tsm_step step;

	c->cfg = cfg;
	c->sync = syncfd;
	c->rootfd = -1;
	c->userns = (cfg->new_ns & CLONE_NEWUSER) != 0;
	for (int i = 0; i < cfg->njoins; i++)
		c->userns |= cfg->joins[i].flag == CLONE_NEWUSER;

	/* The runtime's go: scope, machine, hooks and state file exist. EOF
	 * means it gave up (or died): nothing to report to. */
	if (tsm_recv(syncfd, &msg) != 1 || msg.type != SYNC_ROOTFS)
		_exit(1);

	open_host_files(c);
	/* Through the host's /proc, which the container may not mount; the
	 * value carries over to the payload. */
	if (tsm_oci_oom_score_adj(p, &step) < 0)
		fail_step(c, &step);
	/* Now that init is in its scope, the namespace is rooted there. */
	if ((cfg->new_ns & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		FAIL(c, "unshare", "cgroup", "");
	/* A session of its own: no terminal of the caller's stays ours, and
	 * the pty (terminal: true) can become the controlling one. */
	if (setsid() < 0)
		FAIL(c, "setsid", "", "");

	/* Still with host root's ids: the bundle's directories may be root's
	 * only (0700). From here on the rootfs is reached through rootfd. */
	prepare_root(c);
	become_userns_root(c);
	for (int i = 0; i < cfg->nmounts; i++)
		do_mount(c, &cfg->mounts[i], i < MAX_SRCFDS ? srcfds[i] : -1);
	for (int i = 0; i < cfg->ndevices; i++)
		make_device(c, &cfg->devices[i]);
	dev_links(c);
	/* In the container's namespaces, the host's file system still in view. */
	run_hooks(c, TSM_HOOK_CREATE_CONTAINER);
	enter_root(c);

	if (p->terminal && tsm_oci_terminal(p, cfg->console_fd, 1, &step) < 0)
		fail_step(c, &step);
	if (cfg->root_ro)
		readonly_root(c);
	set_names(c);
	/* Before the read-only paths: /proc/sys is usually one of them. */
	sysctls(c);
	readonly_paths(c);
	masked_paths(c);

	if (tsm_oci_rlimits(p, &step) < 0)
		fail_step(c, &step);
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	if (chdir(p->cwd) < 0)
		FAIL(c, "chdir", "cwd", p->cwd);
	if (tsm_oci_lookup(p, c->path_buf, sizeof(c->path_buf), &step) < 0)
		fail_step(c, &step);
	char *envbuf[tsm_oci_nenv(p) + 2], home[512];
	char *const *envp = tsm_oci_envp(p, envbuf, sizeof(envbuf) / sizeof(envbuf[0]), home, sizeof(home));
	if (tsm_oci_apparmor(p, &step) < 0)
		fail_step(c, &step);
	/* Without no_new_privs a filter needs CAP_SYS_ADMIN: load it while we
	 * have it. With it, as late as possible (after the fifo). */
	if (!p->nnp && tsm_oci_seccomp(p, &step) < 0)
		fail_step(c, &step);
	if (tsm_oci_credentials(p, &step) < 0)
		fail_step(c, &step);

	close(c->rootfd);
	int keep[] = {c->sync, c->fifofd, c->statefd};
	close_all_but(3 + cfg->preserve_fds, keep, 3);

	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_CREATED;
	if (tsm_send(c->sync, &msg) < 0)
		_exit(1);
	close(c->sync);
	c->sync = -1;

	/* Parked: `start` opens the fifo for reading. Reopened through
	 * /proc/self/fd: the state dir is out of sight since pivot_root. */
	char fifo[32];
	int w = open(tsm_fd_path(c->fifofd, fifo), O_WRONLY | O_CLOEXEC);
	if (w < 0)
		FAIL(c, "open", "exec.fifo", fifo);
	if (write(w, "0", 1) != 1)
		FAIL(c, "write", "exec.fifo", fifo);
	close(w);
	close(c->fifofd);

	if (p->nnp && tsm_oci_seccomp(p, &step) < 0)
		fail_step(c, &step);
	run_hooks(c, TSM_HOOK_START_CONTAINER);
	if (c->statefd >= 0)
		close(c->statefd);
	tsm_oci_execve(p, envp, c->path_buf, cfg->preserve_fds);
	FAIL(c, "execve", "", c->path_buf);
}
