/*
 * Path work inside the container's rootfs before pivot_root, while the host
 * is still visible. Every target is resolved with openat2(RESOLVE_IN_ROOT),
 * so a symlink in an image ("/dev -> /host/somewhere") resolves inside the
 * rootfs instead of escaping to the host; mounts then go through the
 * resolved fd's /proc/self/fd/N path. Async-signal-safe.
 */
#ifndef TSM_ROOTFS_H
#define TSM_ROOTFS_H

/* open(path) with the rootfs as "/" (path may be absolute). */
int tsm_open_in_root(int rootfd, const char *path, int flags);
/* The same without openat2 (what tsm_open_in_root does on ENOSYS): component
 * by component, never letting the kernel follow a symlink. */
int tsm_open_in_root_walk(int rootfd, const char *path, int flags);
/* mkdir -p (isdir) or mkdir -p of the parent plus an empty file. */
int tsm_mkpath_in_root(int rootfd, const char *path, int isdir);
/* mount(2) onto path resolved in the rootfs. */
int tsm_mount_in_root(int rootfd, const char *src, const char *path, const char *fstype,
		      unsigned long flags, const void *data);
/* Bind mount (recursive), read-only when asked: the submounts too where the
 * kernel has mount_setattr, else the top mount, keeping its locked flags. */
int tsm_bind_in_root(int rootfd, const char *src, const char *path, int ro, const char **failed_step);
/* symlinkat(target, <dir of path>, <name>) with the directory resolved in the rootfs. */
int tsm_symlink_in_root(int rootfd, const char *target, const char *dir, const char *name);
/* With the cwd at the new root (root: its name for errors): pivot_root(".",
 * ".") and the old root, stacked on top of it, detached. The cwd is left
 * where the old root was: chdir("/") next. */
struct tsm_step;
int tsm_pivot_here(const char *root, struct tsm_step *s);

#endif
