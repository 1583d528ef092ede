/*
 * tsm_oci_spawn: OCI create's first half, called on Node's main thread.
 *
 *   parent (Node) --clone--> child --clone(new namespaces)--> init
 *                             |                                |
 *                             _exit after SYNC_INIT_PID        parked until SYNC_ROOTFS
 *
 * The child exists because Node cannot setns() (threads) and init must be
 * cloned from inside the joined namespaces. Unlike tsmachine's own
 * containers there is no monitor: the child exits once init's PID is out,
 * Node reaps it, and init is reparented to the caller's subreaper (conmon,
 * containerd-shim) or PID 1, which is what an OCI runtime's caller expects.
 * init's pidfd rides along with its PID, so the runtime can kill or watch it
 * without racing PID reuse (init is not our child to wait for).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "oci.h"
#include "stage.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static const char *ns_name(int flag)
{
	switch (flag) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWCGROUP: return "cgroup";
	default: return "time";
	}
}

/*
 * The namespaces config.json names by path. All opened first, while the
 * paths mean what they meant to the runtime; then the user namespace
 * (whose capabilities the others are joined with), the mount namespace last
 * (after it the paths could mean something else).
 */
static void join_namespaces(const struct tsm_oci_config *cfg, int syncfd)
{
	int fds[TSM_OCI_MAX_NS];
	for (int i = 0; i < cfg->njoins; i++) {
		/* O_NONBLOCK: a FIFO named as a namespace must not hang us
		 * (setns then refuses it). */
		fds[i] = open(cfg->joins[i].path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fds[i] < 0)
			tsm_fail(syncfd, "child", "open", ns_name(cfg->joins[i].flag), cfg->joins[i].path);
	}
	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < cfg->njoins; i++) {
			int f = cfg->joins[i].flag;
			if ((pass == 0) != (f == CLONE_NEWUSER) || (pass == 2) != (f == CLONE_NEWNS))
				continue;
			if (setns(fds[i], f) < 0)
				tsm_fail(syncfd, "child", "setns", ns_name(f), cfg->joins[i].path);
			close(fds[i]);
		}
}

/* "C H S\n" lines into /proc/INIT/{uid,gid}_map. As host root (CAP_SETUID
 * and CAP_SETGID over the parent namespace) any map goes, and gid_map needs
 * no "deny" in setgroups first. */
static int write_map(pid_t init, const char *file, const char *map)
{
	char path[64];
	tsm_proc_path(path, sizeof(path), init, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, map, strlen(map));
	int err = errno;
	close(fd);
	errno = n == (ssize_t)strlen(map) ? 0 : n < 0 ? err : EIO;
	return errno ? -1 : 0;
}

__attribute__((noreturn)) static void child_stage(const void *arg, int syncfd)
{
	const struct tsm_oci_config *cfg = arg;
	struct tsm_sync_msg msg;

	/* init inherits this with the mm: until its execve it is a copy of
	 * Node in the container's PID namespace, which nothing inside may
	 * ptrace or read through /proc/PID (CVE-2016-9962, CVE-2019-5736). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		tsm_fail(syncfd, "child", "prctl", "PR_SET_DUMPABLE", "");
	tsm_reset_signals();
	/* Not in the caller's session: its terminal's ^C is not the container's. */
	if (setsid() < 0)
		tsm_fail(syncfd, "child", "setsid", "", "");
	join_namespaces(cfg, syncfd);
	/* A joined user namespace is a credential change, which set dumpable
	 * to fs.suid_dumpable: back to 0. */
	if (cfg->njoins && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		tsm_fail(syncfd, "child", "prctl", "PR_SET_DUMPABLE", "");

	/* Offsets can only be set before any process is in the namespace, so
	 * it is ours (time_for_children) and init is cloned into it. */
	if (cfg->new_ns & CLONE_NEWTIME) {
		if (unshare(CLONE_NEWTIME) < 0)
			tsm_fail(syncfd, "child", "unshare", "time", "");
		if (cfg->time_offsets) {
			int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, cfg->time_offsets, strlen(cfg->time_offsets)) < 0)
				tsm_fail(syncfd, "child", "write", "timens_offsets", "/proc/self/timens_offsets");
			close(fd);
		}
	}

	/* The cgroup namespace waits for the scope (init unshares it later). */
	unsigned long flags = cfg->new_ns & ~(unsigned long)(CLONE_NEWCGROUP | CLONE_NEWTIME);
	pid_t init = tsm_clone(flags);
	if (init < 0)
		tsm_fail(syncfd, "child", "clone", "namespaces", "");
	if (init == 0)
		tsm_oci_init_stage(cfg, syncfd);

	/* init waits at SYNC_ROOTFS, which cannot come before its PID went
	 * out, so the maps are in place before it does anything. */
	if (cfg->new_ns & CLONE_NEWUSER) {
		const char *file = "uid_map";
		int r = cfg->uid_map ? write_map(init, file, cfg->uid_map) : 0;
		if (r == 0 && cfg->gid_map)
			r = write_map(init, file = "gid_map", cfg->gid_map);
		if (r < 0) {
			int err = errno;
			kill(init, SIGKILL);
			errno = err;
			tsm_fail(syncfd, "child", "write", file, "");
		}
	}
	/* While init is our child it cannot be reaped and its PID reused. */
	int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_INIT_PID;
	msg.pid = init;
	if ((pidfd >= 0 ? tsm_send_fd(syncfd, &msg, pidfd) : tsm_send(syncfd, &msg)) < 0) {
		kill(init, SIGKILL);
		_exit(127);
	}
	_exit(0);
}

int tsm_oci_spawn(const char *blob, size_t len, struct tsm_result *out)
{
	tsm_result_init(out);
	struct tsm_oci_config *cfg = tsm_oci_parse(blob, len);
	if (!cfg) {
		tsm_result_error(out, "parent", "parse", "request", "", errno);
		return -1;
	}
	int has_mntns = (cfg->new_ns & CLONE_NEWNS) != 0;
	for (int i = 0; i < cfg->njoins; i++)
		has_mntns |= cfg->joins[i].flag == CLONE_NEWNS;
	/* Without a mount namespace init's mounts and pivot_root would be the host's. */
	if (!cfg->rootfs || !cfg->fifo || !has_mntns) {
		tsm_result_error(out, "parent", "parse", "request", "", EINVAL);
		tsm_oci_free(cfg);
		return -1;
	}
	/* The child exits right after its message (or its failure), reaped
	 * there: no stage of ours stays. init's pidfd rides in out->pty_fd. */
	int r = tsm_stage_start(child_stage, cfg, "child", SYNC_INIT_PID, "init pid",
				TSM_START_PASSFD | TSM_START_EXITS, out);
	tsm_oci_free(cfg);
	return r;
}

/* Waits (bounded) until the process behind pidfd is gone, then SIGKILLs it. */
static void await_exit(int pidfd, int kill_after_ms)
{
	struct pollfd pfd = {pidfd, POLLIN, 0};
	int r;
	do
		r = poll(&pfd, 1, kill_after_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		do
			r = poll(&pfd, 1, 2000);
		while (r < 0 && errno == EINTR);
	}
}

int tsm_oci_finish(int syncfd, int pidfd, struct tsm_result *out)
{
	struct tsm_sync_msg msg;

	tsm_result_init(out);
	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_ROOTFS;
	/* A failed send (EPIPE: init died) is not the story: the error it
	 * queued before dying, if any, is. */
	int send_err = tsm_send(syncfd, &msg) < 0 ? errno : 0;
	for (;;) {
		int r = tsm_recv(syncfd, &msg);
		if (r == 1 && msg.type == SYNC_CREATED) {
			close(syncfd);
			return 0;
		}
		if (r == 1 && msg.type == SYNC_ERROR) {
			tsm_result_from_msg(out, &msg);
			break;
		}
		if (r == 1)
			continue; /* nothing else is sent on this socket */
		if (r == 0 && send_err && send_err != EPIPE && send_err != ECONNRESET)
			tsm_result_error(out, "parent", "send", "rootfs", "", send_err);
		else
			tsm_result_error(out, "parent", "recv", "created", "", r < 0 ? errno : EPIPE);
		break;
	}
	close(syncfd);
	/* A failed create leaves nothing running: init exits right after its
	 * report; the wait makes "finish threw" mean "init is gone". */
	if (pidfd >= 0)
		await_exit(pidfd, 5000);
	return -1;
}

void tsm_oci_abort(int init_pid, int pidfd, int syncfd)
{
	/* The kill before the close: a parked init seeing EOF first would
	 * exit on its own, with a status that hides who ended it. */
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	else if (init_pid > 0)
		kill(init_pid, SIGKILL);
	if (syncfd >= 0)
		close(syncfd);
	if (pidfd >= 0) {
		await_exit(pidfd, 2000);
		close(pidfd);
	}
}
