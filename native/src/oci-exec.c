/*
 * tsm_oci_exec: OCI exec, a process in a created or running container.
 *
 *   parent (Node) --clone--> exec stage: setns(the leader's namespaces)
 *                                 --clone--> payload (in its PID namespace)
 *
 * As exec.c, with the differences an OCI container makes: it may own a user
 * namespace that owns its other namespaces, so that one is joined first (a
 * pidfd setns does that in one step); the payload becomes what config.json's
 * process says (oci-process.c); and with --detach the stage exits as soon as
 * the payload exists, so the payload is reparented to the caller's subreaper.
 * The payload parks until SYNC_GO (AttachProcessesToUnit put it in the
 * scope); tsm_release (spawn.c) lets it go and reads the verdict.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "oci.h"
#include "stage.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int flag;
} namespaces[] = {
	/* user first (it owns the rest when the container made it), mnt last
	 * (after it, /proc/LEADER is the container's view) */
	{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},       {"net", CLONE_NEWNET},
	{"pid", CLONE_NEWPID},   {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}, {"mnt", CLONE_NEWNS},
};
#define NNS (sizeof(namespaces) / sizeof(namespaces[0]))

__attribute__((noreturn)) static void fail(int syncfd, const char *syscall, const char *what, const char *path)
{
	tsm_fail(syncfd, "exec", syscall, what, path);
}

/* Only the namespaces that differ from ours: setns into our own user
 * namespace is EINVAL, and a shared one (a joined host network) needs no step. */
static void join_namespaces(const struct tsm_oci_config *cfg, int syncfd)
{
	int fds[NNS], flags = 0;
	char path[64], self[64];
	struct stat theirs, ours;
	for (size_t i = 0; i < NNS; i++) {
		tsm_proc_path(path, sizeof(path), cfg->leader, "ns/");
		size_t n = strlen(path);
		tsm_strlcpy(path + n, namespaces[i].name, sizeof(path) - n);
		tsm_strlcpy(self, "/proc/self/ns/", sizeof(self));
		tsm_strlcpy(self + 14, namespaces[i].name, sizeof(self) - 14);
		fds[i] = -1;
		if (stat(path, &theirs) < 0) {
			if (errno == ENOENT && namespaces[i].flag == CLONE_NEWTIME)
				continue; /* before 5.6 */
			fail(syncfd, "stat", "namespace", path);
		}
		if (stat(self, &ours) == 0 && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
			continue;
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			fail(syncfd, "open", "namespace", path);
		flags |= namespaces[i].flag;
	}
	struct tsm_step s;
	int r = tsm_setns_leader(cfg->leader, flags, &s);
	if (r < 0)
		tsm_fail_step(syncfd, "exec", &s);
	if (r == 0)
		flags = 0; /* all joined: the fds are only closed */
	for (size_t i = 0; i < NNS; i++) {
		if (fds[i] < 0)
			continue;
		if ((flags & namespaces[i].flag) && setns(fds[i], namespaces[i].flag) < 0)
			fail(syncfd, "setns", namespaces[i].name, "");
		close(fds[i]);
	}
}

__attribute__((noreturn)) static void payload(const void *arg, int syncfd)
{
	const struct tsm_oci_config *cfg = arg;
	static char path[PATH_MAX];
	const struct tsm_oci_process *p = &cfg->proc;
	struct tsm_sync_msg msg;
	struct tsm_step s;

	if (tsm_recv(syncfd, &msg) != 1 || msg.type != SYNC_GO)
		_exit(1);
	/* A session of its own: the caller's terminal must not be its
	 * controlling one (TIOCSTI would type into the admin's shell). */
	if (setsid() < 0)
		fail(syncfd, "setsid", "", "");
	if (p->terminal && tsm_oci_terminal(p, cfg->console_fd, 0, &s) < 0)
		tsm_fail_step(syncfd, "exec", &s);
	if (tsm_oci_rlimits(p, &s) < 0)
		tsm_fail_step(syncfd, "exec", &s);
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	if (chdir(p->cwd) < 0)
		fail(syncfd, "chdir", "cwd", p->cwd);
	if (tsm_oci_lookup(p, path, sizeof(path), &s) < 0 || tsm_oci_apparmor(p, &s) < 0)
		tsm_fail_step(syncfd, "exec", &s);
	char *envbuf[tsm_oci_nenv(p) + 2], home[512];
	char *const *envp = tsm_oci_envp(p, envbuf, sizeof(envbuf) / sizeof(envbuf[0]), home, sizeof(home));
	if (!p->nnp && tsm_oci_seccomp(p, &s) < 0)
		tsm_fail_step(syncfd, "exec", &s);
	if (tsm_oci_credentials(p, &s) < 0)
		tsm_fail_step(syncfd, "exec", &s);
	if (p->nnp && tsm_oci_seccomp(p, &s) < 0)
		tsm_fail_step(syncfd, "exec", &s);
	tsm_oci_execve(p, envp, path, cfg->preserve_fds);
	fail(syncfd, "execve", "", path);
	_exit(127);
}

__attribute__((noreturn)) static void exec_stage(const void *arg, int syncfd)
{
	const struct tsm_oci_config *cfg = arg;
	struct tsm_step s;

	/* Until the payload's execve this is a copy of Node (its memory, the
	 * bus socket): nothing in the container may ptrace it or read its
	 * /proc/PID files (runc's nsexec, CVE-2016-9962, CVE-2019-5736). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(syncfd, "prctl", "PR_SET_DUMPABLE", "");
	tsm_reset_signals();
	/* The host's /proc, still ours; the payload inherits the value. */
	if (tsm_oci_oom_score_adj(&cfg->proc, &s) < 0)
		tsm_fail_step(syncfd, "exec", &s);
	join_namespaces(cfg, syncfd);
	/* Entering another user namespace is a credential change, which set
	 * dumpable to fs.suid_dumpable: back to 0. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(syncfd, "prctl", "PR_SET_DUMPABLE", "");
	tsm_exec_payload(payload, cfg, syncfd, cfg->detach);
}

int tsm_oci_exec(const char *blob, size_t len, struct tsm_result *out)
{
	tsm_result_init(out);
	struct tsm_oci_config *cfg = tsm_oci_parse(blob, len);
	if (!cfg || cfg->leader <= 0) {
		tsm_result_error(out, "parent", "parse", "request", "", cfg ? EINVAL : errno);
		tsm_oci_free(cfg);
		return -1;
	}
	int detach = cfg->detach;
	int r = tsm_stage_start(exec_stage, cfg, "exec stage", SYNC_EXEC_PID, "exec pid", 0, out);
	tsm_oci_free(cfg);
	if (r == 0 && detach) {
		/* It exits right away: nothing of ours stays between the
		 * caller and the payload. */
		while (waitpid(out->stage_pid, NULL, 0) < 0 && errno == EINTR)
			;
		out->stage_pid = 0;
	}
	return r;
}
