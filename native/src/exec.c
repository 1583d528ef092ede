/*
 * tsm_exec: run a command inside a running container.
 *
 *   parent (Node) --clone--> exec stage: setns(ipc, uts, net, pid, cgroup, mnt)
 *                                 --clone--> payload (inside the PID namespace)
 *
 * setns(CLONE_NEWPID) only applies to children, hence the second clone. The
 * payload parks at the barrier so the runtime can attach it to the
 * container's scope first. The stage stays behind as our direct child and
 * exits with the payload's status, which is what waitExit() reads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "request.h"
#include "stage.h"
#include "sync.h"
#include "user.h"

static const struct {
	const char *name;
	int flag;
} namespaces[] = {
	/* mnt last: after it, /proc/LEADER is the container's view */
	{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},       {"net", CLONE_NEWNET},
	{"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};
#define NNS (sizeof(namespaces) / sizeof(namespaces[0]))

/*
 * --private-users containers: their user namespace is joined last, after
 * the namespaces the host's user namespace owns (joining it first would
 * leave us without the right to join those), and then as its root. Opened
 * first, while /proc is still the host's: -1 when it is ours anyway.
 */
static int open_foreign_userns(const struct tsm_config *cfg, int syncfd)
{
	char path[64];
	struct stat theirs, ours;
	tsm_proc_path(path, sizeof(path), cfg->leader, "ns/user");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &theirs) < 0)
		tsm_fail(syncfd, "exec", "open", "user namespace", path);
	if (stat("/proc/self/ns/user", &ours) < 0)
		tsm_fail(syncfd, "exec", "stat", "user namespace", "/proc/self/ns/user");
	if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

static void enter_userns(int fd, int syncfd)
{
	struct tsm_step step;
	if (fd < 0)
		return;
	if (tsm_userns_enter(fd, &step) < 0)
		tsm_fail_step(syncfd, "exec", &step);
	close(fd);
}

static void join_namespaces(const struct tsm_config *cfg, int syncfd)
{
	int all = 0;
	struct tsm_step step;
	int userns = open_foreign_userns(cfg, syncfd);
	for (size_t i = 0; i < NNS; i++)
		all |= namespaces[i].flag;

	int r = tsm_setns_leader(cfg->leader, all, &step);
	if (r < 0)
		tsm_fail_step(syncfd, "exec", &step);
	if (r == 0) {
		enter_userns(userns, syncfd);
		return;
	}

	/* Older kernels: the ns files, all opened before entering any. */
	int fds[NNS];
	char path[64];
	for (size_t i = 0; i < NNS; i++) {
		tsm_proc_path(path, sizeof(path), cfg->leader, "ns/");
		size_t n = strlen(path);
		tsm_strlcpy(path + n, namespaces[i].name, sizeof(path) - n);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			tsm_fail(syncfd, "exec", "open", "namespace", path);
	}
	for (size_t i = 0; i < NNS; i++) {
		if (setns(fds[i], namespaces[i].flag) < 0)
			tsm_fail(syncfd, "exec", "setns", namespaces[i].name, "");
		close(fds[i]);
	}
	enter_userns(userns, syncfd);
}

__attribute__((noreturn)) static void payload(const void *arg, int syncfd)
{
	const struct tsm_config *cfg = arg;
	struct tsm_sync_msg msg;
	struct tsm_step step;
	if (tsm_recv(syncfd, &msg) != 1 || msg.type != SYNC_GO)
		_exit(1);
	/* A session of its own: the caller's terminal (the admin's shell) must
	 * not be its controlling terminal, or TIOCSTI on it would type into
	 * that shell. -t makes its own session around the new pty. The CLI
	 * relays signals, so ^C still reaches it. */
	if (cfg->stdio != TSM_STDIO_PTY && setsid() < 0)
		tsm_fail(syncfd, "exec", "setsid", "", "");
	/* setns(mnt) made the container's root ours: /dev/pts is its devpts. */
	if (cfg->stdio == TSM_STDIO_PTY && tsm_pty_setup(cfg, syncfd, &step) < 0)
		tsm_fail_step(syncfd, "exec", &step);
	if (cfg->stdio == TSM_STDIO_FDS && tsm_stdio_fds(cfg->fds, &step) < 0)
		tsm_fail_step(syncfd, "exec", &step);
	if (chdir(cfg->cwd) < 0)
		tsm_fail(syncfd, "exec", "chdir", "cwd", cfg->cwd);
	/* setns(mnt) gave us the container's root: its /etc names the user. */
	struct tsm_user user;
	if (cfg->user && tsm_resolve_user(cfg->user, &user, &step) < 0)
		tsm_fail_step(syncfd, "exec", &step);
	/* The same baseline as the container's init, in the same order (the
	 * filter before the capability drop): exec is no way around it. */
	if (cfg->seccomp && tsm_seccomp(&step) < 0)
		tsm_fail_step(syncfd, "exec", &step);
	if (cfg->nnp && tsm_no_new_privs(&step) < 0)
		tsm_fail_step(syncfd, "exec", &step);
	if (tsm_drop_caps(cfg->caps, &step) < 0)
		tsm_fail_step(syncfd, "exec", &step);
	char *const *envp = cfg->envp;
	char *envbuf[cfg->nenv + 2], home[sizeof(user.home) + 5];
	if (cfg->user) {
		tsm_user_owns_tty(cfg, &user);
		if (tsm_become_user(&user, &step) < 0)
			tsm_fail_step(syncfd, "exec", &step);
		envp = tsm_env_with_home(envp, &user, envbuf, cfg->nenv + 2, home, sizeof(home));
	}
	tsm_cloexec_from(3);
	tsm_execvpe(cfg->argv, envp, cfg->path_env);
	tsm_fail(syncfd, "exec", "execve", "", cfg->argv[0]);
}

__attribute__((noreturn)) static void exec_stage(const void *arg, int syncfd)
{
	const struct tsm_config *cfg = arg;

	/* Before anything of the container's: until the payload's execve this
	 * is a copy of Node, with its memory and its fds (the bus socket to
	 * systemd among them). Not dumpable, its /proc/PID files (mem, fd,
	 * cwd, exe: the host's node binary) and ptrace need CAP_SYS_PTRACE over
	 * the host, which the container lacks (runc's nsexec does the same,
	 * CVE-2016-9962, CVE-2019-5736). The payload inherits it with the mm;
	 * its execve makes the new program dumpable again as usual. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		tsm_fail(syncfd, "exec", "prctl", "PR_SET_DUMPABLE", "");
	tsm_reset_signals();
	join_namespaces(cfg, syncfd);
	tsm_exec_payload(payload, cfg, syncfd, 0);
}

int tsm_exec(const char *blob, size_t len, struct tsm_result *out)
{
	tsm_result_init(out);
	struct tsm_config *cfg = tsm_config_parse(blob, len);
	if (!cfg || cfg->leader <= 0 || cfg->stdio == TSM_STDIO_JOURNAL) {
		tsm_result_error(out, "parent", "parse", "request", "", cfg ? EINVAL : errno);
		tsm_config_free(cfg);
		return -1;
	}
	int r = tsm_stage_start(exec_stage, cfg, "exec stage", SYNC_EXEC_PID, "exec pid", 0, out);
	tsm_config_free(cfg);
	return r;
}

/* Undo an exec: the payload dies, the stage (ours) follows and is reaped. */
void tsm_exec_abort(int pid, int stage_pid, int syncfd)
{
	if (syncfd >= 0)
		close(syncfd);
	if (pid > 0)
		kill(pid, SIGKILL);
	if (stage_pid > 0)
		while (waitpid(stage_pid, NULL, 0) < 0 && errno == EINTR)
			;
}
