/*
 * Helpers shared by the forked stages. Everything here is async-signal-safe:
 * the stages are copies of a multithreaded Node process, so any lock (malloc,
 * stdio) may be held by a thread that no longer exists in the copy.
 */
#ifndef TSM_STAGE_H
#define TSM_STAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "sync.h"
#include "request.h"

/* Bounded copy that always terminates dst. */
void tsm_strlcpy(char *dst, const char *src, size_t size);
/* Decimal of n into buf (>= 12 bytes); returns buf. */
char *tsm_itoa(int n, char *buf);
/* The same for an unsigned n (a uid above INT_MAX). */
char *tsm_utoa(unsigned int n, char *buf);
/* "/proc/PID/TAIL" into buf (size bytes, truncated to fit); returns buf. */
char *tsm_proc_path(char *buf, size_t size, int pid, const char *tail);
/* "/proc/self/fd/FD" into buf: the path that names what fd refers to; returns buf. */
char *tsm_fd_path(int fd, char buf[32]);

/* fork-like clone without glibc's atfork handlers: flags | SIGCHLD. */
pid_t tsm_clone(unsigned long flags);

int tsm_send(int fd, const struct tsm_sync_msg *msg);
/* len bytes of data with passfd attached as SCM_RIGHTS: sendmsg's result
 * (EINTR retried), so each caller decides what a short send means. */
ssize_t tsm_send_data_fd(int fd, const void *data, size_t len, int passfd);
/* tsm_send with passfd attached as SCM_RIGHTS. */
int tsm_send_fd(int fd, const struct tsm_sync_msg *msg, int passfd);
/* Returns 1 for a message, 0 for EOF, -1 on error (errno set). */
int tsm_recv(int fd, struct tsm_sync_msg *msg);
/* tsm_recv that also returns a passed fd (O_CLOEXEC) in *passfd, else -1. */
int tsm_recv_fd(int fd, struct tsm_sync_msg *msg, int *passfd);

/* Reports a failure (errno is read here) to the parent and _exit(127)s. */
__attribute__((noreturn)) void tsm_fail(int fd, const char *stage, const char *syscall,
					const char *what, const char *path);

/* Which step of a multi-step helper failed; the caller reports it with
 * tsm_fail_step under its own stage name ("init" or "exec"). */
struct tsm_step {
	const char *syscall;
	const char *what;
	const char *path;
};
/* Fills the step and returns -1, keeping errno. */
int tsm_step_failed(struct tsm_step *s, const char *syscall, const char *what, const char *path);
__attribute__((noreturn)) void tsm_fail_step(int fd, const char *stage, const struct tsm_step *s);

/* These host fds become 0, 1, 2 (TSM_STDIO_FDS). */
int tsm_stdio_fds(const int fds[3], struct tsm_step *s);
/* -t (tty.c): a pty from the devpts instance at /dev/pts, master sent to the
 * parent over syncfd, slave as controlling terminal and 0, 1, 2. */
int tsm_pty_setup(const struct tsm_config *cfg, int syncfd, struct tsm_step *s);
/* The slave of a pty master from /dev/pts/ptmx: unlocked, opened with
 * TIOCGPTPEER (4.13+, no path the container could swap; by_path: by
 * /dev/pts/N on older kernels), its size set when rows and cols are not 0. */
int tsm_pty_slave(int master, int by_path, unsigned short rows, unsigned short cols, struct tsm_step *s);
/* slave as the controlling terminal of the calling session leader and as
 * 0, 1, 2 (then closed unless it is one of them). */
int tsm_pty_stdio(int slave, struct tsm_step *s);
/* caps.c: keep only the capabilities in mask (bounding, effective, permitted). */
int tsm_drop_caps(uint64_t mask, struct tsm_step *s);
/* seccomp.c: the default syscall deny list (a no-op on architectures it has
 * no numbers for). Needs CAP_SYS_ADMIN or no_new_privs: call it before
 * tsm_drop_caps. */
int tsm_seccomp(struct tsm_step *s);
/* The classic-BPF program tsm_seccomp installs, into out (max instructions):
 * its length, 0 for no filter, -1 (E2BIG) when it does not fit. For tests. */
struct sock_filter;
int tsm_seccomp_program(struct sock_filter *out, unsigned int max);
/* PR_SET_NO_NEW_PRIVS: setuid bits and file capabilities stop granting
 * anything at execve (--no-new-privileges). */
int tsm_no_new_privs(struct tsm_step *s);
/* mask.c: runc's masked and read-only /proc and /sys paths, before pivot_root. */
int tsm_mask_paths(int rootfd, struct tsm_step *s);
/* each(rootfd, path, arg) for every CPUDIR/cpuN+TAIL that exists in the
 * rootfs (N: digits), stopping at the first nonzero result, which it
 * returns; -1 with errno when the listing fails. No allocation. */
int tsm_each_cpu_path(int rootfd, const char *cpudir, const char *tail,
		      int (*each)(int rootfd, const char *path, void *arg), void *arg);

/* setns(pidfd_open(leader), flags): every namespace in one step, with the
 * leader pinned against PID reuse. 0 joined (nothing to do for flags 0),
 * 1 when the kernel cannot (before 5.8: no pidfd_open, or EINVAL from
 * setns) so the caller joins through /proc/LEADER/ns files, -1 with errno
 * and the step (ESRCH: the leader is gone). */
int tsm_setns_leader(pid_t leader, int flags, struct tsm_step *s);

/* Default dispositions and an empty mask: Node's handlers and its ignored
 * SIGPIPE must not leak into a monitor or payload (execve keeps SIG_IGN). */
void tsm_reset_signals(void);

/* Marks every fd >= 3 close-on-exec so the payload gets only 0, 1, 2. */
void tsm_cloexec_from(int lowfd);
/* Closes every fd >= lowfd (a stage that only waits from here on). */
void tsm_close_from(int lowfd);
/* Clears close-on-exec on the open fds lo..hi-1: they reach the payload. */
void tsm_keep_fds(int lo, int hi);

/* execve, or with no slash in argv[0] a PATH search like execvpe.
 * Returns only on failure, with errno of the most telling attempt. */
void tsm_execvpe(char *const argv[], char *const envp[], const char *path_env);

/* userns.c (--private-users): a user namespace mapping 0..size-1 to host
 * base.., as an fd; an idmapped mount of a layer over itself; entering the
 * namespace as its root. */
int tsm_userns_open(unsigned int base, unsigned int size, struct tsm_step *s);
int tsm_idmap_layer(const char *path, int usernsfd, struct tsm_step *s);
int tsm_userns_enter(int usernsfd, struct tsm_step *s);

/* The single-threaded init stage (init.c) and exec stage's payload.
 * usernsfd: the container's user namespace (--private-users), else -1. */
__attribute__((noreturn)) void tsm_init_stage(const struct tsm_config *cfg, int syncfd, int usernsfd);

void tsm_result_error(struct tsm_result *out, const char *stage, const char *syscall,
		      const char *what, const char *path, int err);
void tsm_result_from_msg(struct tsm_result *out, const struct tsm_sync_msg *m);
/* Zeroed, with no fds (-1): how every entry point's result starts. */
void tsm_result_init(struct tsm_result *out);

/* tsm_stage_start's flags. PASSFD: the first message may carry an fd, handed
 * back in out->pty_fd. EXITS: the stage exits right after its first message,
 * so it is reaped here whatever it said (out->stage_pid 0), never killed. */
#define TSM_START_PASSFD 1
#define TSM_START_EXITS 2
/*
 * The parent's side of starting a stage (spawn's child, exec's stage and
 * their OCI twins): a socketpair, a raw clone running stage(arg, syncfd) in
 * the copy, then the stage's first message. 0 when that is `expect`:
 * out->pid is the PID it carries, out->stage_pid the stage's, out->sync_fd
 * our end. Else -1 with out filled (the stage's SYNC_ERROR, or the parent's
 * own syscall: `what` names the stage, `expect_what` the message), our end
 * closed, the stage killed and reaped. out must be tsm_result_init'ed.
 */
int tsm_stage_start(void (*stage)(const void *arg, int syncfd), const void *arg, const char *what,
		    int expect, const char *expect_what, int flags, struct tsm_result *out);
/*
 * An exec stage's last step, in the container's namespaces: clones
 * payload(arg, syncfd) (setns(CLONE_NEWPID) applies to children only),
 * reports its host PID (SYNC_EXEC_PID) and closes the sync socket, so the
 * parent's EOF means the payload exec'd. detach: exits at once (the payload
 * goes to the caller's subreaper); else closes every fd and exits with the
 * payload's status (128+signal when killed).
 */
__attribute__((noreturn)) void tsm_exec_payload(void (*payload)(const void *arg, int syncfd), const void *arg,
						int syncfd, int detach);

#endif
