/*
 * Everything the stages need, built by the parent (Node's thread, where
 * malloc is fine) from the request JS encodes, before any fork. The stages
 * only read it.
 *
 * Wire format from JS (src/kernel/request.ts): a sequence of "key=value\0"
 * records. Repeated keys (lower, argv, env, bind_*) keep their order.
 */
#ifndef TSM_REQUEST_H
#define TSM_REQUEST_H

#include <stddef.h>

enum tsm_stdio { TSM_STDIO_INHERIT = 0, TSM_STDIO_JOURNAL = 1, TSM_STDIO_FDS = 2, TSM_STDIO_PTY = 3 };

struct tsm_bind {
	char *src; /* host path */
	char *dst; /* absolute path inside the rootfs */
	int ro;
};

struct tsm_config {
	/* spawn */
	char *name;
	char *hostname;
	char *mountpoint;
	char *overlay_opts; /* "lowerdir=top:...:bottom,upperdir=..,workdir=.." */
	char **lowers;      /* the layer directories, bottom first (for idmapping) */
	char *lower_dir;    /* their common directory, when overlay_opts names them relative to it */
	int nlowers;
	unsigned int userns_base, userns_size; /* --private-users: 0 size = none */
	struct tsm_bind *binds;
	int nbinds;
	int hostnet;
	int stdio;
	char *journal_header; /* journald stdout stream preamble */
	size_t journal_header_len;
	int fds[3]; /* TSM_STDIO_FDS: host fds to become 0, 1, 2 */
	unsigned short pty_rows, pty_cols; /* TSM_STDIO_PTY: initial size, 0 = leave the kernel's */
	char *exit_file;
	char *monitor;
	char *monitor_argv[4];
	/* spawn and exec (exec takes stdio inherit, fds or pty) */
	char **argv;
	char **envp;
	int nenv;
	char *user; /* "USER[:GROUP]" to resolve in the container, NULL: stay root */
	const char *path_env; /* PATH= value from envp, or the usual default */
	char *cwd;
	int seccomp; /* 1 (the default when absent): seccomp.c's filter; 0: unconfined */
	int nnp;     /* 1: PR_SET_NO_NEW_PRIVS before exec */
	unsigned long long caps; /* capabilities kept, bit N = capability N (absent: none) */
	int mask;    /* 1 (the default): runc's masked /proc and /sys paths; 0: --privileged */
	char *shm_opts; /* /dev/shm's tmpfs options, built here: --shm-size, else nspawn's bounds */
	/* exec */
	int leader;
};

/* Returns NULL with errno (EINVAL for a malformed request, ENOMEM). */
/* rec ("key=value") has this key: 1 with *val at its value, else 0. The
 * one record matcher of request.c, oci-request.c and seccomp-compile.c. */
int tsm_key_is(const char *rec, const char *key, const char **val);
struct tsm_config *tsm_config_parse(const char *blob, size_t len);
void tsm_config_free(struct tsm_config *cfg);

#endif
