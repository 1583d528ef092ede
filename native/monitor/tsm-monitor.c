/*
 * tsm-monitor INIT_PID EXIT_FILE
 *
 * The resident per-container process: the child stage execs into it right
 * after cloning init, so it is init's parent. It waits for init, records the
 * exit status (decimal; 128+signal when killed) atomically, and exits with
 * that status. It stays in the container's scope beside init, so it must be
 * tiny: a static binary doing nothing else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void record(const char *path, int code)
{
	char tmp[4096], text[16];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	int n = snprintf(text, sizeof(text), "%d\n", code);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* Readers see either no file or the whole number, never half of it. */
	if (write(fd, text, (size_t)n) == n && fsync(fd) == 0 && close(fd) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

int main(int argc, char **argv)
{
	int status, code;
	pid_t r;

	if (argc != 3)
		return 125;
	pid_t init = (pid_t)atoi(argv[1]);
	/* Stopping the scope sends SIGTERM to every process in it; we must
	 * outlive init to record how it ended (the final SIGKILL still works). */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);

	while ((r = waitpid(init, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		code = 125;
	else if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else
		code = 128 + WTERMSIG(status);
	record(argv[2], code);
	return code;
}
