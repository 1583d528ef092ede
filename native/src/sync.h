/*
 * The sync protocol between the stages (parent = Node's thread, child, init,
 * exec stage). One fixed-size message per SOCK_SEQPACKET datagram, so a read
 * is always a whole message and EOF is unambiguous.
 *
 * Success has no message: the init/exec stage's end of the socket is
 * O_CLOEXEC, so when execve succeeds the last copy closes and the parent
 * reads EOF. Anything that goes wrong before that is a SYNC_ERROR.
 */
#ifndef TSM_SYNC_H
#define TSM_SYNC_H

#include <stdint.h>

enum tsm_sync_type {
	SYNC_INIT_PID = 1, /* child -> parent: host PID of init (pid field) */
	SYNC_GO = 2,       /* parent -> init/exec: scope exists, proceed */
	SYNC_ERROR = 3,    /* any stage -> parent: err/stage/syscall/what/path */
	SYNC_EXEC_PID = 4, /* exec stage -> parent: host PID of the process to attach */
	SYNC_PTY = 5,      /* init/exec -> parent: the pty master rides along (SCM_RIGHTS) */
	SYNC_ROOTFS = 6,   /* parent -> init: upper dir and network ready, build the root */
	SYNC_CREATED = 7,  /* OCI init -> parent: set up, parking on exec.fifo (oci-init.c) */
};

struct tsm_sync_msg {
	int32_t type;
	int32_t pid;
	int32_t err;      /* errno */
	char stage[16];   /* "parent", "child", "init", "exec" */
	char syscall[24]; /* "mount", "execve", ... */
	char what[40];    /* which one: "overlay", "proc", ... (may be empty) */
	char path[512];   /* the path involved (may be empty) */
};

/*
 * What tsm_spawn/tsm_exec/tsm_release hand back to JS (native/addon/binding.c
 * turns it into an object; keep that and src/kernel/addon.ts in sync).
 */
struct tsm_result {
	int32_t pid;     /* init (spawn) or the process to attach (exec) */
	int32_t stage_pid; /* monitor (spawn) or exec stage: our direct child */
	int32_t sync_fd;
	int32_t pty_fd;  /* release: the payload's pty master (-t), else -1; the caller owns it;
			    tsm_oci_spawn: init's pidfd (-1 without pidfd_open) */
	int32_t err;
	char stage[16];
	char syscall[24];
	char what[40];
	char path[512];
};

#endif
