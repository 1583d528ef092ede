#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "stage.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

void tsm_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

char *tsm_utoa(unsigned int u, char *buf)
{
	char tmp[12];
	int i = 0, j = 0;
	do {
		tmp[i++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (i)
		buf[j++] = tmp[--i];
	buf[j] = '\0';
	return buf;
}

char *tsm_itoa(int n, char *buf)
{
	if (n >= 0)
		return tsm_utoa((unsigned int)n, buf);
	buf[0] = '-';
	tsm_utoa((unsigned int)(-(long)n), buf + 1);
	return buf;
}

char *tsm_fd_path(int fd, char buf[32])
{
	char num[12];
	strcpy(buf, "/proc/self/fd/");
	strcat(buf, tsm_itoa(fd, num));
	return buf;
}

char *tsm_proc_path(char *buf, size_t size, int pid, const char *tail)
{
	char num[12];
	tsm_strlcpy(buf, "/proc/", size);
	size_t n = strlen(buf);
	tsm_strlcpy(buf + n, tsm_itoa(pid, num), size - n);
	n = strlen(buf);
	tsm_strlcpy(buf + n, "/", size - n);
	n = strlen(buf);
	tsm_strlcpy(buf + n, tail, size - n);
	return buf;
}

pid_t tsm_clone(unsigned long flags)
{
	/* A zero stack makes clone behave like fork (the child runs on a copy
	 * of our stack). glibc's fork() would also run atfork handlers that
	 * Node and its libraries registered; those are not safe here. */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

int tsm_send(int fd, const struct tsm_sync_msg *msg)
{
	ssize_t n;
	do
		n = send(fd, msg, sizeof(*msg), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*msg) ? 0 : -1;
}

ssize_t tsm_send_data_fd(int fd, const void *data, size_t len, int passfd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {(void *)data, len};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

int tsm_send_fd(int fd, const struct tsm_sync_msg *msg, int passfd)
{
	return tsm_send_data_fd(fd, msg, sizeof(*msg), passfd) == (ssize_t)sizeof(*msg) ? 0 : -1;
}

int tsm_recv_fd(int fd, struct tsm_sync_msg *msg, int *passfd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {msg, sizeof(*msg)};
	struct msghdr mh;
	ssize_t n;
	int got = -1;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	/* CLOEXEC: a passed pty master must not leak into later stages.
	 * ECONNRESET once: a peer that exits with a message of ours unread (a
	 * stage failing just as GO arrives) sets an error the kernel reports
	 * before the queue, where that stage's SYNC_ERROR still waits; the
	 * error is cleared by being reported, so the next read gets the
	 * message, or EOF. */
	int reset = 0;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !reset++)));
	if (n > 0) {
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
			    cm->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&got, CMSG_DATA(cm), sizeof(int));
	}
	if (passfd)
		*passfd = got;
	else if (got >= 0)
		close(got);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*msg)) {
		if (passfd && got >= 0)
			close(got);
		if (passfd)
			*passfd = -1;
		errno = EPROTO;
		return -1;
	}
	return 1;
}

int tsm_recv(int fd, struct tsm_sync_msg *msg)
{
	return tsm_recv_fd(fd, msg, NULL);
}

void tsm_fail(int fd, const char *stage, const char *syscall, const char *what, const char *path)
{
	struct tsm_sync_msg msg;
	int err = errno;
	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_ERROR;
	msg.err = err;
	tsm_strlcpy(msg.stage, stage, sizeof(msg.stage));
	tsm_strlcpy(msg.syscall, syscall, sizeof(msg.syscall));
	tsm_strlcpy(msg.what, what, sizeof(msg.what));
	tsm_strlcpy(msg.path, path, sizeof(msg.path));
	tsm_send(fd, &msg);
	_exit(127);
}

int tsm_step_failed(struct tsm_step *s, const char *syscall, const char *what, const char *path)
{
	s->syscall = syscall;
	s->what = what;
	s->path = path;
	return -1;
}

void tsm_fail_step(int fd, const char *stage, const struct tsm_step *s)
{
	tsm_fail(fd, stage, s->syscall, s->what, s->path);
}

int tsm_stdio_fds(const int fds[3], struct tsm_step *s)
{
	int high[3];
	/* Lift them above 2 first so that dup2 onto 0..2 cannot clobber one. */
	for (int i = 0; i < 3; i++) {
		high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
		if (high[i] < 0)
			return tsm_step_failed(s, "fcntl", "stdio fd", "");
	}
	for (int i = 0; i < 3; i++)
		if (dup2(high[i], i) < 0)
			return tsm_step_failed(s, "dup2", "stdio fd", "");
	for (int i = 0; i < 3; i++)
		close(high[i]);
	return 0;
}

int tsm_setns_leader(pid_t leader, int flags, struct tsm_step *s)
{
	int pidfd = (int)syscall(SYS_pidfd_open, leader, 0);
	if (pidfd < 0)
		return errno == ESRCH ? tsm_step_failed(s, "pidfd_open", "leader", "") : 1;
	int r = flags ? setns(pidfd, flags) : 0;
	int err = errno;
	close(pidfd);
	if (r == 0)
		return 0;
	if (err == EINVAL)
		return 1;
	errno = err;
	return tsm_step_failed(s, "setns", "pidfd", "");
}

void tsm_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* EINVAL for KILL/STOP and libc-reserved ones: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void tsm_cloexec_from(int lowfd)
{
	if (syscall(SYS_close_range, (unsigned int)lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Kernels before 5.11: Node rarely has more than a few hundred fds. */
	for (int fd = lowfd; fd < 4096; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

void tsm_close_from(int lowfd)
{
	if (syscall(SYS_close_range, (unsigned int)lowfd, ~0U, 0) == 0)
		return;
	for (int fd = lowfd; fd < 4096; fd++)
		close(fd);
}

void tsm_keep_fds(int lo, int hi)
{
	for (int fd = lo; fd < hi; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && (fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
}

void tsm_execvpe(char *const argv[], char *const envp[], const char *path_env)
{
	/* Node marks its own stdin/stdout/stderr close-on-exec at startup (it
	 * spawns its children with explicit dup2s), so a payload that inherits
	 * them would start with fds 0-2 closed. Cleared right before exec. */
	tsm_keep_fds(0, 3);
	const char *name = argv[0];
	char buf[4096];
	int saved = ENOENT;

	if (strchr(name, '/')) {
		execve(name, argv, envp);
		return;
	}
	size_t nlen = strlen(name);
	const char *p = path_env;
	while (p) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen == 0) { /* empty entry means the cwd, as in execvp */
			buf[0] = '.';
			dlen = 1;
		} else if (dlen < sizeof(buf)) {
			memcpy(buf, p, dlen);
		}
		if (dlen + 1 + nlen < sizeof(buf)) {
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, name, nlen + 1);
			execve(buf, argv, envp);
			/* EACCES says more than a later ENOENT; keep searching either way. */
			if (errno == EACCES)
				saved = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR && saved != EACCES)
				saved = errno;
		}
		p = end ? end + 1 : NULL;
	}
	errno = saved;
}

/* The parent's failure report to JavaScript: which stage, syscall, object and errno. */
void tsm_result_error(struct tsm_result *out, const char *stage, const char *syscall,
		      const char *what, const char *path, int err)
{
	out->err = err;
	tsm_strlcpy(out->stage, stage, sizeof(out->stage));
	tsm_strlcpy(out->syscall, syscall, sizeof(out->syscall));
	tsm_strlcpy(out->what, what, sizeof(out->what));
	tsm_strlcpy(out->path, path, sizeof(out->path));
}

/* A stage's SYNC_ERROR, passed on as the result. */
void tsm_result_from_msg(struct tsm_result *out, const struct tsm_sync_msg *m)
{
	tsm_result_error(out, m->stage, m->syscall, m->what, m->path, m->err);
}

void tsm_result_init(struct tsm_result *out)
{
	memset(out, 0, sizeof(*out));
	out->sync_fd = -1;
	out->pty_fd = -1;
}

int tsm_stage_start(void (*stage)(const void *arg, int syncfd), const void *arg, const char *what,
		    int expect, const char *expect_what, int flags, struct tsm_result *out)
{
	struct tsm_sync_msg msg;
	int sv[2], passed = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		tsm_result_error(out, "parent", "socketpair", "", "", errno);
		return -1;
	}
	pid_t pid = tsm_clone(0);
	if (pid < 0) {
		tsm_result_error(out, "parent", "clone", what, "", errno);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		stage(arg, sv[1]);
		_exit(127); /* stages do not return */
	}
	close(sv[1]);

	int r = tsm_recv_fd(sv[0], &msg, (flags & TSM_START_PASSFD) ? &passed : NULL);
	int err = errno;
	if (flags & TSM_START_EXITS)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (r == 1 && msg.type == expect) {
		out->pid = msg.pid;
		out->stage_pid = (flags & TSM_START_EXITS) ? 0 : pid;
		out->sync_fd = sv[0];
		out->pty_fd = passed;
		return 0;
	}
	if (passed >= 0)
		close(passed);
	if (r == 1 && msg.type == SYNC_ERROR)
		tsm_result_from_msg(out, &msg);
	else
		tsm_result_error(out, "parent", "recv", expect_what, "", r < 0 ? err : EPIPE);
	close(sv[0]);
	if (!(flags & TSM_START_EXITS)) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return -1;
}

void tsm_exec_payload(void (*payload)(const void *arg, int syncfd), const void *arg, int syncfd, int detach)
{
	struct tsm_sync_msg msg;
	int status;

	pid_t pid = tsm_clone(0);
	if (pid < 0)
		tsm_fail(syncfd, "exec", "clone", "payload", "");
	if (pid == 0) {
		payload(arg, syncfd);
		_exit(127); /* payloads do not return */
	}
	/* Still in the host's PID namespace: this is the host PID. */
	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_EXEC_PID;
	msg.pid = pid;
	tsm_send(syncfd, &msg);
	close(syncfd); /* the parent's EOF must mean the payload exec'd */
	if (detach)
		_exit(0);
	/* What else Node had open stays out of reach, and copies of the CLI's
	 * relay pipes must not keep them open: the payload sees EOF on its
	 * stdin when the CLI closes it. */
	tsm_close_from(0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
