/*
 * tsm_spawn: the parent stage, called on Node's main thread through the
 * Node-API binding (native/addon/binding.c).
 *
 *   parent (Node) --clone--> child --clone(new namespaces)--> init
 *                             |                                |
 *                             execve(tsm-monitor)              parked until SYNC_GO
 *
 * (With --private-users the child first makes the user namespace, see
 * userns.c; init enters it only after its mounts.)
 *
 * The child exists so that init's parent is not Node: after handing init's
 * PID back it becomes the tiny monitor, which outlives the CLI, reaps init
 * and records its exit status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "request.h"
#include "stage.h"
#include "sync.h"

__attribute__((noreturn)) static void child_stage(const void *arg, int syncfd)
{
	const struct tsm_config *cfg = arg;
	struct tsm_sync_msg msg;
	char pidbuf[12];
	char *margv[4];
	char *const menvp[] = {NULL};
	unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;

	/* First: init is cloned from us and inherits it with the mm. Until its
	 * execve it is a copy of Node in the container's PID namespace, which
	 * nothing inside may ptrace or read through /proc/PID (mem, fd,
	 * cwd, exe: the host's node binary), as runc's nsexec (CVE-2016-9962,
	 * CVE-2019-5736). The payload's execve makes it dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		tsm_fail(syncfd, "child", "prctl", "PR_SET_DUMPABLE", "");
	tsm_reset_signals();
	/* Own session: the terminal's ^C goes to the CLI, which decides what
	 * happens to the container; the monitor must not die with it. */
	if (setsid() < 0)
		tsm_fail(syncfd, "child", "setsid", "", "");
	if (!cfg->hostnet)
		flags |= CLONE_NEWNET;

	/* --private-users: made here, as host root, before init exists; init
	 * inherits the fd and enters the namespace last (see userns.c). */
	int usernsfd = -1;
	if (cfg->userns_size) {
		struct tsm_step step;
		usernsfd = tsm_userns_open(cfg->userns_base, cfg->userns_size, &step);
		if (usernsfd < 0)
			tsm_fail_step(syncfd, "child", &step);
	}

	pid_t init = tsm_clone(flags);
	if (init < 0)
		tsm_fail(syncfd, "child", "clone", "namespaces", "");
	if (init == 0)
		tsm_init_stage(cfg, syncfd, usernsfd);

	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_INIT_PID;
	msg.pid = init;
	if (tsm_send(syncfd, &msg) < 0) {
		kill(init, SIGKILL);
		_exit(127);
	}

	/* The monitor is a fresh small process image, not a 50 MB copy of Node.
	 * Its stdio goes nowhere: it must not hold the CLI's terminal open. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	tsm_cloexec_from(3);
	margv[0] = cfg->monitor_argv[0];
	margv[1] = tsm_itoa(init, pidbuf);
	margv[2] = cfg->monitor_argv[2];
	margv[3] = NULL;
	execve(cfg->monitor, margv, menvp);
	/* No monitor means nobody would reap or record init: take it down. */
	int err = errno;
	kill(init, SIGKILL);
	errno = err;
	tsm_fail(syncfd, "child", "execve", "monitor", cfg->monitor);
}

int tsm_spawn(const char *blob, size_t len, struct tsm_result *out)
{
	tsm_result_init(out);
	struct tsm_config *cfg = tsm_config_parse(blob, len);
	if (!cfg) {
		tsm_result_error(out, "parent", "parse", "request", "", errno);
		return -1;
	}
	if (!cfg->monitor || !cfg->exit_file || !cfg->mountpoint || !cfg->overlay_opts) {
		tsm_result_error(out, "parent", "parse", "request", "", EINVAL);
		tsm_config_free(cfg);
		return -1;
	}
	/* The child goes on as tsm-monitor: out->stage_pid is the monitor. */
	int r = tsm_stage_start(child_stage, cfg, "child", SYNC_INIT_PID, "init pid", 0, out);
	tsm_config_free(cfg);
	return r;
}

/*
 * Init's first barrier (see init.c): the container's upper dir is complete
 * and its network configured, so init may build the root filesystem while
 * the runtime makes the scope and registers the machine. Does not wait.
 * 0 or -errno (EPIPE: init is gone; tsm_reported_failure or the release
 * says why).
 */
int tsm_build_rootfs(int syncfd)
{
	struct tsm_sync_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_ROOTFS;
	return tsm_send(syncfd, &msg) < 0 ? -errno : 0;
}

/*
 * Whether init has already reported a failure (building the root filesystem
 * goes on while the runtime talks to systemd): 1 with `out` filled, else 0.
 * Only peeks, and never waits: the message stays for the release.
 */
int tsm_reported_failure(int syncfd, struct tsm_result *out)
{
	struct tsm_sync_msg msg;
	ssize_t n;

	tsm_result_init(out);
	do
		n = recv(syncfd, &msg, sizeof(msg), MSG_DONTWAIT | MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(msg) || msg.type != SYNC_ERROR)
		return 0;
	tsm_result_from_msg(out, &msg);
	return 1;
}

/*
 * Shared by spawn and exec: let the parked process go, then wait for the
 * verdict. EOF means every copy of its socket end closed, i.e. it exec'd.
 * With -t the pty master arrives on the way (SYNC_PTY) and is handed back in
 * out->pty_fd on success only.
 */
int tsm_release(int syncfd, struct tsm_result *out)
{
	struct tsm_sync_msg msg;
	int passed;

	memset(out, 0, sizeof(*out));
	out->pty_fd = -1;
	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_GO;
	/* A failed send (EPIPE: it already died) is not the story; the error
	 * message it queued before dying, if any, still is. */
	int send_err = tsm_send(syncfd, &msg) < 0 ? errno : 0;
	for (;;) {
		int r = tsm_recv_fd(syncfd, &msg, &passed);
		if (r == 1 && msg.type == SYNC_PTY && passed >= 0 && out->pty_fd < 0) {
			out->pty_fd = passed;
			continue;
		}
		if (passed >= 0)
			close(passed); /* unasked for */
		if (r == 0) {
			if (send_err && send_err != EPIPE && send_err != ECONNRESET) {
				tsm_result_error(out, "parent", "send", "go", "", send_err);
				break;
			}
			close(syncfd);
			return 0;
		}
		if (r < 0) {
			tsm_result_error(out, "parent", "recv", "release", "", errno);
			break;
		}
		if (msg.type == SYNC_ERROR) {
			tsm_result_from_msg(out, &msg);
			break;
		}
		/* anything else is stale (cannot happen with this protocol) */
	}
	if (out->pty_fd >= 0)
		close(out->pty_fd);
	out->pty_fd = -1;
	close(syncfd);
	return -1;
}

/*
 * Undo a spawn. Init dies first and the monitor, its parent, gets a moment to
 * reap it: SIGKILLing both at once would orphan init's zombie to the host's
 * PID 1, which is not always a reaper (containers, CI sandboxes).
 */
void tsm_abort(int init_pid, int monitor_pid, int syncfd)
{
	if (syncfd >= 0)
		close(syncfd);
	if (init_pid > 0)
		kill(init_pid, SIGKILL);
	if (monitor_pid <= 0)
		return;
	for (int i = 0; i < 200; i++) { /* up to 2 s */
		pid_t r = waitpid(monitor_pid, NULL, WNOHANG);
		if (r == monitor_pid || (r < 0 && errno != EINTR))
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(monitor_pid, SIGKILL);
	while (waitpid(monitor_pid, NULL, 0) < 0 && errno == EINTR)
		;
}
