/*
 * tsmachine-oci's native stages (oci-*.c): an OCI runtime's create and exec,
 * carried out from a request already validated and resolved to numbers by
 * src/oci/ and encoded by src/kernel/oci.ts (contract: src/kernel/oci-types.ts,
 * records: /work/oci-design.md "Records").
 *
 *   create: parent (Node) --clone--> child: setns the joined namespaces,
 *           time offsets --clone(new namespaces)--> init; maps, SYNC_INIT_PID,
 *           _exit. init waits for SYNC_ROOTFS, builds the container, reports
 *           SYNC_CREATED and parks opening exec.fifo for writing.
 *   exec:   parent --clone--> exec stage: setns the leader's namespaces
 *           --clone--> payload, parked until SYNC_GO.
 *
 * The request is parsed into struct tsm_oci_config by the parent (malloc is
 * fine there); the stages only read it. Nothing here allocates after a fork.
 */
#ifndef TSM_OCI_H
#define TSM_OCI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "sync.h"

struct tsm_step;
struct sock_filter;

#define TSM_OCI_MAX_NS 8
#define TSM_OCI_MAX_PROPS 8
#define TSM_OCI_MAX_RLIMITS 16

struct tsm_oci_ns {
	int flag;   /* CLONE_NEW* */
	char *path; /* join it (NULL: make a new one) */
};

struct tsm_oci_mount {
	char *dst, *type, *src, *data;
	unsigned long flags;
	unsigned long props[TSM_OCI_MAX_PROPS];
	int nprops;
	int rro;
};

struct tsm_oci_device {
	char *path;
	char type; /* c, b, u, p */
	unsigned int major, minor, mode, uid, gid;
};

enum tsm_oci_hook_kind { TSM_HOOK_CREATE_CONTAINER = 1, TSM_HOOK_START_CONTAINER = 2 };

struct tsm_oci_hook {
	int kind;
	char *path;
	char **argv; /* NULL-terminated; argv[0] is path when none was given */
	char **envp;
	int timeout; /* seconds, 0: none */
};

struct tsm_oci_rlimit {
	int resource;
	unsigned long long soft, hard;
};

/* What the payload becomes (OciProcessPlan). */
struct tsm_oci_process {
	char **argv;
	char **envp;
	const char *path_env; /* PATH= of envp, or the usual default */
	char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	int ngids;
	int umask; /* -1: leave it */
	uint64_t cap_b, cap_e, cap_i, cap_p, cap_a;
	struct tsm_oci_rlimit rlimits[TSM_OCI_MAX_RLIMITS];
	int nrlimits;
	int nnp;
	int has_oom;
	int oom;
	char *apparmor;
	struct sock_filter *bpf; /* NULL: no filter */
	unsigned short bpf_len;
	unsigned int seccomp_flags;
	int terminal;
	unsigned short rows, cols;
};

struct tsm_oci_config {
	/* create */
	char *id;
	char *rootfs;
	int root_ro;
	unsigned long new_ns; /* CLONE_NEW* to create (cgroup and time included) */
	struct tsm_oci_ns joins[TSM_OCI_MAX_NS];
	int njoins;
	char *uid_map, *gid_map; /* "C H S\n" lines, ready to write */
	char *time_offsets;      /* "monotonic S NS\nboottime S NS\n", or NULL */
	char *hostname, *domainname;
	struct tsm_oci_mount *mounts;
	int nmounts;
	struct tsm_oci_device *devices;
	int ndevices;
	char **masked;
	char **ro_paths;
	char **sysctl; /* "KEY=VALUE", key with dots */
	unsigned long root_prop;
	int no_pivot;
	struct tsm_oci_hook *hooks;
	int nhooks;
	char *fifo;
	char *state_file;
	int console_fd; /* -1: none */
	int preserve_fds;
	struct tsm_oci_process proc;
	/* exec */
	int leader;
	int detach;
};

/* oci-request.c: NULL with errno (EINVAL: malformed, ENOMEM). */
struct tsm_oci_config *tsm_oci_parse(const char *blob, size_t len);
void tsm_oci_free(struct tsm_oci_config *cfg);

/* oci-init.c: the init stage (never returns). */
__attribute__((noreturn)) void tsm_oci_init_stage(const struct tsm_oci_config *cfg, int syncfd);

/*
 * oci-process.c: the steps shared by create's init and exec's payload, in
 * the order they are called. Each returns 0, or -1 with the step filled.
 */
/* A pty from the container's devpts: slave as controlling terminal and
 * 0, 1, 2, master sent over consolefd (SCM_RIGHTS) and consolefd closed.
 * console: also bind the slave over /dev/console (init). */
int tsm_oci_terminal(const struct tsm_oci_process *p, int consolefd, int console, struct tsm_step *s);
/* 0..2 blocking and kept across execve. */
void tsm_oci_stdio_fixup(void);
int tsm_oci_rlimits(const struct tsm_oci_process *p, struct tsm_step *s);
int tsm_oci_oom_score_adj(const struct tsm_oci_process *p, struct tsm_step *s);
/* argv[0] as the path execve will take (PATH of env for a bare name),
 * into buf; ENOENT/EACCES when there is none. */
int tsm_oci_lookup(const struct tsm_oci_process *p, char *buf, size_t size, struct tsm_step *s);
int tsm_oci_apparmor(const struct tsm_oci_process *p, struct tsm_step *s);
/* Loads the filter (no_new_privs first when p->nnp). */
int tsm_oci_seccomp(const struct tsm_oci_process *p, struct tsm_step *s);
/* Groups, ids, the five capability sets (bounding dropped first). */
int tsm_oci_credentials(const struct tsm_oci_process *p, struct tsm_step *s);
/* envp, or with no HOME= in it a copy in buf (slots >= tsm_oci_nenv + 2)
 * with the uid's home from the container's /etc/passwd ("/" without one),
 * as runc does. After pivot_root or setns into the mount namespace. */
size_t tsm_oci_nenv(const struct tsm_oci_process *p);
char *const *tsm_oci_envp(const struct tsm_oci_process *p, char **buf, size_t slots, char *home, size_t size);
/* fds >= 3 + preserve close-on-exec, then execve(path). Returns on failure. */
void tsm_oci_execve(const struct tsm_oci_process *p, char *const envp[], const char *path, int preserve);
/* "tsmachine-oci: STAGE: SYSCALL WHAT PATH: strerror\n" on fd 2, _exit(127):
 * for failures after the sync socket is gone. */
__attribute__((noreturn)) void tsm_oci_die(const char *stage, const struct tsm_step *s);

/* oci-spawn.c and oci-exec.c (api for the binding). */
int tsm_oci_spawn(const char *blob, size_t len, struct tsm_result *out);
/* SYNC_ROOTFS, then wait for SYNC_CREATED (0) or a failure (-1, out filled;
 * init has exited then). pidfd: init's (from tsm_oci_spawn), or -1. Closes
 * syncfd. */
int tsm_oci_finish(int syncfd, int pidfd, struct tsm_result *out);
/* Kill init (through its pidfd when there is one), close both fds. */
void tsm_oci_abort(int init_pid, int pidfd, int syncfd);
int tsm_oci_exec(const char *blob, size_t len, struct tsm_result *out);

#endif
