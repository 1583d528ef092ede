/* The monitor's few system calls through libc (any architecture). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int m_open_trunc(const char *path) { return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }
static long m_write(int fd, const void *buf, unsigned long n) { return write(fd, buf, n); }
static int m_fsync(int fd) { return fsync(fd); }
static int m_close(int fd) { return close(fd); }
static int m_rename(const char *from, const char *to) { return rename(from, to); }
static int m_unlink(const char *path) { return unlink(path); }
/* 0 or -1; EINTR cannot happen: the signals that would interrupt are blocked */
static int m_wait(int pid, int *status) { return waitpid(pid, status, 0) == pid ? 0 : -1; }
static void m_block_stop_signals(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	sigprocmask(SIG_BLOCK, &s, NULL);
}
