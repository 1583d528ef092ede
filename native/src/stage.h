/*
 * Helpers shared by the forked stages. Everything here is async-signal-safe:
 * the stages are copies of a multithreaded Node process, so any lock (malloc,
 * stdio) may be held by a thread that no longer exists in the copy.
 */
#ifndef TSM_STAGE_H
#define TSM_STAGE_H

#include <stddef.h>
#include <sys/types.h>
#include "sync.h"
#include "config.h"

/* Bounded copy that always terminates dst. */
void tsm_strlcpy(char *dst, const char *src, size_t size);
/* Decimal of n into buf (>= 12 bytes); returns buf. */
char *tsm_itoa(int n, char *buf);

/* fork-like clone without glibc's atfork handlers: flags | SIGCHLD. */
pid_t tsm_clone(unsigned long flags);

int tsm_send(int fd, const struct tsm_sync_msg *msg);
/* Returns 1 for a message, 0 for EOF, -1 on error (errno set). */
int tsm_recv(int fd, struct tsm_sync_msg *msg);

/* Reports a failure (errno is read here) to the parent and _exit(127)s. */
__attribute__((noreturn)) void tsm_fail(int fd, const char *stage, const char *syscall,
					const char *what, const char *path);

/* Default dispositions and an empty mask: Node's handlers and its ignored
 * SIGPIPE must not leak into a monitor or payload (execve keeps SIG_IGN). */
void tsm_reset_signals(void);

/* Marks every fd >= 3 close-on-exec so the payload gets only 0, 1, 2. */
void tsm_cloexec_from(int lowfd);

/* execve, or with no slash in argv[0] a PATH search like execvpe.
 * Returns only on failure, with errno of the most telling attempt. */
void tsm_execvpe(char *const argv[], char *const envp[], const char *path_env);

/* The single-threaded init stage (init.c) and exec stage's payload. */
__attribute__((noreturn)) void tsm_init_stage(const struct tsm_config *cfg, int syncfd);

#endif
