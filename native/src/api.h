/*
 * What the runtime calls in the native library (through native/addon/,
 * the Node-API binding). Everything returns 0 / a value, or -1 with a filled
 * tsm_result, or -errno: callers never read errno after the fact.
 */
#ifndef TSM_API_H
#define TSM_API_H

#include <stddef.h>
#include <sys/types.h>
#include "sync.h"

/* spawn.c: clone the parked child/init stages (SpawnRequest, encoded). */
int tsm_spawn(const char *blob, size_t len, struct tsm_result *out);
/* spawn.c: SYNC_GO to a parked init or exec payload, then its verdict. */
int tsm_build_rootfs(int syncfd);
int tsm_reported_failure(int syncfd, struct tsm_result *out);
int tsm_release(int syncfd, struct tsm_result *out);
void tsm_abort(int init_pid, int monitor_pid, int syncfd);
/* exec.c: join a running container (ExecRequest, encoded). */
int tsm_exec(const char *blob, size_t len, struct tsm_result *out);
void tsm_exec_abort(int pid, int stage_pid, int syncfd);

/* seccomp.c: the default filter as classic BPF; instructions, or -1. */
struct sock_filter;
int tsm_seccomp_program(struct sock_filter *out, unsigned int max);

/* seccomp-compile.c: an OCI seccomp profile (records) compiled with
 * libseccomp.so.2, opened on first use. 0 with *prog malloc'd (free it, a
 * multiple of 8 bytes), or -1 with *r filled (syscall "dlopen", ENOENT: no
 * libseccomp). Version: 0 or -ENOENT. Arch: libseccomp's token, 0 unknown,
 * or -ENOENT. */
int tsm_seccomp_compile(const char *blob, size_t len, unsigned char **prog, size_t *prog_len, struct tsm_result *r);
int tsm_seccomp_version(unsigned int v[3]);
long tsm_seccomp_arch(const char *name);

/* rootfs.c and mask.c, for tests: a path resolved with the rootfs as "/"
 * (through openat2, or the walk used without it), and the per-CPU paths
 * mask.c covers. */
int tsm_open_in_root(int rootfd, const char *path, int flags);
int tsm_open_in_root_walk(int rootfd, const char *path, int flags);
int tsm_each_cpu_path(int rootfd, const char *cpudir, const char *tail,
		      int (*each)(int rootfd, const char *path, void *arg), void *arg);

/* fsops.c: file system calls Node lacks; 0 (a length) or -errno. *out is
 * malloc'd (free it). */
int tsm_flock(int fd, int op);
int tsm_mknod(const char *path, unsigned int mode, unsigned int major_, unsigned int minor_);
int tsm_lsetxattr(const char *path, const char *name, const void *value, size_t len);
/* lgetxattr (name given) or llistxattr (name NULL). */
ssize_t tsm_xattr_read(const char *path, const char *name, char **out);

/* nft.c: one libnftables transaction: 0 done, 1 refused (see *err), -ENOENT
 * without libnftables, -ENOMEM. *out and *err are malloc'd (free both). */
int tsm_nft_run(const char *commands, int json, char **out, char **err);

/* util.c */
int tsm_wait(int pid);
int tsm_remove_tree(const char *path);
int tsm_notify(const char *socket_path, const char *state);
int tsm_set_winsize(int fd, int rows, int cols);
/* A library opened on first use (libnftables, libseccomp): dlopen(lib) and
 * each name's address stored through its slot (a function pointer's
 * address). 1, or 0 when the library or a symbol is missing. */
struct tsm_dlsym {
	const char *name;
	void *slot;
};
int tsm_dlsyms(const char *lib, const struct tsm_dlsym *syms, size_t n);

#endif
