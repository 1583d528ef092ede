#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "rootfs.h"
#include "stage.h"

int tsm_open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		/* Kernels before 5.6 (not Debian 12's): plain lookup, which
		 * follows absolute symlinks to the host. */
		while (*path == '/')
			path++;
		fd = openat(rootfd, *path ? path : ".", flags | O_CLOEXEC);
	}
	return fd;
}

static void close_keep_errno(int fd)
{
	int err = errno;
	close(fd);
	errno = err;
}

int tsm_mkpath_in_root(int rootfd, const char *path, int isdir)
{
	char buf[PATH_MAX];
	int parent = rootfd;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	char *p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *slash = strchr(p, '/');
		int last = !slash || slash[strspn(slash, "/")] == '\0';
		if (slash)
			*slash = '\0';
		if (!last || isdir) {
			if (mkdirat(parent, p, 0755) < 0 && errno != EEXIST)
				goto fail;
		} else {
			/* O_EXCL: never follow a final symlink out of the rootfs */
			int fd = openat(parent, p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644);
			if (fd >= 0)
				close(fd);
			else if (errno != EEXIST)
				goto fail;
		}
		if (last)
			break;
		/* Re-resolve the prefix in the rootfs: it may be a symlink. */
		int next = tsm_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
		if (next < 0)
			goto fail;
		if (parent != rootfd)
			close(parent);
		parent = next;
		*slash = '/';
		p = slash + 1;
	}
	if (parent != rootfd)
		close(parent);
	return 0;
fail:
	if (parent != rootfd)
		close_keep_errno(parent);
	return -1;
}

int tsm_mount_in_root(int rootfd, const char *src, const char *path, const char *fstype,
		      unsigned long flags, const void *data)
{
	char proc[32];
	int fd = tsm_open_in_root(rootfd, path, O_PATH);
	if (fd < 0)
		return -1;
	tsm_fd_path(fd, proc);
	int r = mount(src, proc, fstype, flags, data);
	close_keep_errno(fd);
	return r;
}

int tsm_bind_in_root(int rootfd, const char *src, const char *path, int ro, const char **failed_step)
{
	struct statfs sfs;
	*failed_step = "bind";
	if (tsm_mount_in_root(rootfd, src, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	if (!ro)
		return 0;
	*failed_step = "remount ro";
	/* A read-only remount must repeat the flags the kernel locked on the
	 * source mount (nosuid, nodev, ...), or it fails with EPERM. The
	 * statfs ST_* values equal the MS_* ones. Reopen to get the new mount,
	 * not the directory under it. */
	int fd = tsm_open_in_root(rootfd, path, O_PATH);
	if (fd < 0)
		return -1;
	unsigned long keep = 0;
	if (fstatfs(fd, &sfs) == 0)
		keep = (unsigned long)sfs.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
						    MS_NODIRATIME | MS_RELATIME);
	char proc[32];
	tsm_fd_path(fd, proc);
	int r = mount(NULL, proc, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL);
	close_keep_errno(fd);
	return r;
}

int tsm_symlink_in_root(int rootfd, const char *target, const char *dir, const char *name)
{
	int dfd = tsm_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return -1;
	int r = symlinkat(target, dfd, name);
	if (r < 0 && errno == EEXIST)
		r = 0;
	close_keep_errno(dfd);
	return r;
}
