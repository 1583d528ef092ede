/*
 * Becoming the payload: the steps create's init (oci-init.c) and exec's
 * payload (oci-exec.c) share, from a struct tsm_oci_process (OciProcessPlan).
 * Both are forked copies of Node: raw syscalls, no allocation, no stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include "oci.h"
#include "stage.h"
#include "user.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The console socket gets the master with runc's payload (the file's name),
 * which conmon and containerd ignore but some receivers log. */
static int send_master(int sock, int master)
{
	static const char name[] = "/dev/ptmx";
	return tsm_send_data_fd(sock, name, sizeof(name) - 1, master) < 0 ? -1 : 0;
}

int tsm_oci_terminal(const struct tsm_oci_process *p, int consolefd, int console, struct tsm_step *s)
{
	/* The container's devpts (mounted with newinstance by config.json), so
	 * `tty` names its own /dev/pts/N and the host's devpts never sees it. */
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return tsm_step_failed(s, "open", "ptmx", "/dev/pts/ptmx");
	/* Without a path lookup: nothing in the container can swap /dev/pts/N. */
	int slave = tsm_pty_slave(master, 0, p->rows, p->cols, s);
	if (slave < 0)
		return -1;
	/* The caller made us a session leader: the slave becomes our
	 * controlling terminal, so ^C typed into the master is SIGINT here. */
	if (tsm_pty_stdio(slave, s) < 0)
		return -1;
	/* What a getty or an init writes to /dev/console shows up on the
	 * caller's terminal, as with runc. Bound through the open slave: no
	 * /dev/pts/N path is looked up. */
	if (console && mount("/proc/self/fd/0", "/dev/console", NULL, MS_BIND, NULL) < 0)
		return tsm_step_failed(s, "mount", "console", "/dev/console");
	if (consolefd >= 0) {
		if (send_master(consolefd, master) < 0)
			return tsm_step_failed(s, "sendmsg", "console socket", "");
		close(consolefd);
	}
	close(master);
	return 0;
}

void tsm_oci_stdio_fixup(void)
{
	/* Node sets O_NONBLOCK on pipes it shares with us (a status flag of the
	 * open file, not the fd): a payload reading its stdin would see EAGAIN.
	 * And Node marks its 0..2 close-on-exec. */
	for (int fd = 0; fd < 3; fd++) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK))
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	tsm_keep_fds(0, 3);
}

int tsm_oci_rlimits(const struct tsm_oci_process *p, struct tsm_step *s)
{
	for (int i = 0; i < p->nrlimits; i++) {
		/* prlimit64's own layout: 64-bit fields on every architecture. */
		struct {
			uint64_t cur, max;
		} rl = {p->rlimits[i].soft, p->rlimits[i].hard};
		if (syscall(SYS_prlimit64, 0, p->rlimits[i].resource, &rl, NULL) < 0)
			return tsm_step_failed(s, "prlimit64", "rlimit", "");
	}
	return 0;
}

int tsm_oci_oom_score_adj(const struct tsm_oci_process *p, struct tsm_step *s)
{
	char num[12];
	if (!p->has_oom)
		return 0;
	tsm_itoa(p->oom, num);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, num, strlen(num)) < 0)
		return tsm_step_failed(s, "write", "oom_score_adj", "/proc/self/oom_score_adj");
	close(fd);
	return 0;
}

/* An executable regular file (faccessat X_OK passes directories too). */
static int executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS);
}

int tsm_oci_lookup(const struct tsm_oci_process *p, char *buf, size_t size, struct tsm_step *s)
{
	const char *name = p->argv[0];
	size_t nlen = strlen(name);
	/* Before parking, as runc's LookPath: a create whose command is missing
	 * fails now, not at start when nobody is left to say why. */
	if (strchr(name, '/')) {
		if (nlen >= size) {
			errno = ENAMETOOLONG;
			return tsm_step_failed(s, "execve", "lookup", name);
		}
		memcpy(buf, name, nlen + 1);
		return executable(buf) < 0 ? tsm_step_failed(s, "execve", "lookup", name) : 0;
	}
	int saved = ENOENT;
	for (const char *d = p->path_env; d;) {
		const char *end = strchr(d, ':');
		size_t dlen = end ? (size_t)(end - d) : strlen(d);
		const char *dir = dlen ? d : ".";
		if (!dlen)
			dlen = 1;
		if (dlen + 1 + nlen < size) {
			memcpy(buf, dir, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, name, nlen + 1);
			if (executable(buf) == 0)
				return 0;
			if (errno == EACCES)
				saved = EACCES;
		}
		d = end ? end + 1 : NULL;
	}
	errno = saved;
	return tsm_step_failed(s, "execve", "lookup", name);
}

int tsm_oci_apparmor(const struct tsm_oci_process *p, struct tsm_step *s)
{
	static const char prefix[] = "exec ";
	char buf[512];
	if (!p->apparmor || !p->apparmor[0])
		return 0;
	if (strlen(p->apparmor) + sizeof(prefix) > sizeof(buf)) {
		errno = ENAMETOOLONG;
		return tsm_step_failed(s, "write", "apparmor", p->apparmor);
	}
	strcpy(buf, prefix);
	strcat(buf, p->apparmor);
	/* Applies at our execve. The per-LSM file first (5.8+, stacked LSMs). */
	int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
		return tsm_step_failed(s, "write", "apparmor", p->apparmor);
	close(fd);
	return 0;
}

int tsm_oci_seccomp(const struct tsm_oci_process *p, struct tsm_step *s)
{
	if (p->nnp && tsm_no_new_privs(s) < 0)
		return -1;
	if (!p->bpf)
		return 0;
	struct sock_fprog prog = {p->bpf_len, p->bpf};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog) == 0)
		return 0;
	/* seccomp(2) is 3.17+; without flags prctl does the same. */
	if (errno == ENOSYS && p->seccomp_flags == 0 &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
		return 0;
	return tsm_step_failed(s, "seccomp", "SECCOMP_SET_MODE_FILTER", "");
}

int tsm_oci_credentials(const struct tsm_oci_process *p, struct tsm_step *s)
{
	/* Keep the permitted set across leaving uid 0; capset below decides. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return tsm_step_failed(s, "prctl", "PR_SET_KEEPCAPS", "");
	/* Dropping from the bounding set needs CAP_SETPCAP, which a non-root
	 * uid or the capset may take away: first. EINVAL marks the last cap. */
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1 && !(p->cap_b & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return tsm_step_failed(s, "prctl", "PR_CAPBSET_DROP", "");
	}
	/* Raw syscalls: glibc's wrappers signal every thread it knows of, and
	 * the threads this copy of Node inherited in its list do not exist. */
	if (syscall(SYS_setgroups, (size_t)p->ngids, p->gids) < 0)
		return tsm_step_failed(s, "setgroups", "additionalGids", "");
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		return tsm_step_failed(s, "setresgid", "", "");
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		return tsm_step_failed(s, "setresuid", "", "");

	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(p->cap_e >> (32 * i));
		data[i].permitted = (uint32_t)(p->cap_p >> (32 * i));
		data[i].inheritable = (uint32_t)(p->cap_i >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return tsm_step_failed(s, "capset", "", "");
	/* Ambient caps survive execve into a non-root uid; Node's must not. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return tsm_step_failed(s, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL", "");
	/* The kernel raises an ambient capability only when it is also
	 * permitted and inheritable; runc and crun skip the others (EPERM) and
	 * so does every config.json made by `runc spec`, which lists ambient
	 * capabilities without inheritable ones. */
	for (int cap = 0; cap < 64; cap++)
		if ((p->cap_a & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 &&
		    errno != EPERM && errno != EINVAL)
			return tsm_step_failed(s, "prctl", "PR_CAP_AMBIENT_RAISE", "");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return tsm_step_failed(s, "prctl", "PR_SET_KEEPCAPS", "");
	/* The id change set dumpable to fs.suid_dumpable: until execve this is
	 * a copy of Node, which nothing in the container may ptrace. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return tsm_step_failed(s, "prctl", "PR_SET_DUMPABLE", "");
	return 0;
}

size_t tsm_oci_nenv(const struct tsm_oci_process *p)
{
	size_t n = 0;
	while (p->envp[n])
		n++;
	return n;
}

char *const *tsm_oci_envp(const struct tsm_oci_process *p, char **buf, size_t slots, char *home, size_t size)
{
	struct tsm_user u;
	struct tsm_step s;
	char spec[12];
	for (char **e = p->envp; *e; e++)
		if (strncmp(*e, "HOME=", 5) == 0)
			return p->envp;
	/* As runc: the uid's home in the container's /etc/passwd, else "/". */
	if (tsm_resolve_user(tsm_utoa(p->uid, spec), &u, &s) < 0)
		tsm_strlcpy(u.home, "/", sizeof(u.home));
	return tsm_env_with_home(p->envp, &u, buf, slots, home, size);
}

void tsm_oci_execve(const struct tsm_oci_process *p, char *const envp[], const char *path, int preserve)
{
	tsm_oci_stdio_fixup();
	/* --preserve-fds: 3..3+N-1 stay, whatever Node flagged them; the rest
	 * (Node's own fds) must not reach the payload. */
	tsm_keep_fds(3, 3 + preserve);
	tsm_cloexec_from(3 + preserve);
	tsm_reset_signals();
	execve(path, p->argv, envp);
}

static size_t put(char *buf, size_t at, size_t size, const char *s)
{
	size_t n = strlen(s);
	if (at + n >= size)
		n = at < size - 1 ? size - 1 - at : 0;
	memcpy(buf + at, s, n);
	return at + n;
}

void tsm_oci_die(const char *stage, const struct tsm_step *s)
{
	char line[1024], num[12];
	int err = errno;
	size_t n = put(line, 0, sizeof(line), "tsmachine-oci: ");
	n = put(line, n, sizeof(line), stage);
	n = put(line, n, sizeof(line), ": ");
	n = put(line, n, sizeof(line), s->syscall);
	if (s->what && s->what[0]) {
		n = put(line, n, sizeof(line), " ");
		n = put(line, n, sizeof(line), s->what);
	}
	if (s->path && s->path[0]) {
		n = put(line, n, sizeof(line), " ");
		n = put(line, n, sizeof(line), s->path);
	}
	n = put(line, n, sizeof(line), ": ");
	/* strerrordesc_np: a constant table, no locale, no allocation. */
	const char *text = strerrordesc_np(err);
	n = put(line, n, sizeof(line), text ? text : tsm_itoa(err, num));
	n = put(line, n, sizeof(line), "\n");
	ssize_t w = write(2, line, n);
	(void)w;
	_exit(127);
}
