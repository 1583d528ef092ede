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

/* <linux/mount.h> clashes with <sys/mount.h> in glibc 2.36 (Debian 12). */
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define TSM_MOUNT_ATTR_RDONLY 0x00000001
#define TSM_AT_RECURSIVE 0x8000
struct tsm_mount_attr {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

static void close_keep_errno(int fd)
{
	int err = errno;
	close(fd);
	errno = err;
}

int tsm_open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = tsm_open_in_root_walk(rootfd, path, flags); /* before Linux 5.6 */
	return fd;
}

/* Moves the walk to `next`, closing where it stood unless that is the root. */
static int step_to(int *cur, int rootfd, int next)
{
	if (*cur != rootfd)
		close(*cur);
	*cur = next;
	return next;
}

/*
 * RESOLVE_IN_ROOT done by hand, for kernels without openat2. A plain openat
 * would follow an image's absolute symlink ("/etc -> /host/etc") out of the
 * rootfs. Here the kernel never follows a symlink: every component is opened
 * O_PATH | O_NOFOLLOW from the directory before it; a symlink's text is read
 * and spliced into the rest of the path, an absolute one restarting at the
 * root; ".." at the root stays there (as openat2 does) and elsewhere goes up
 * one of the directories this walk went down. So the result lies inside the
 * rootfs whatever the image's links say. Nothing else runs in the container
 * yet, so nothing renames its directories under the walk.
 */
int tsm_open_in_root_walk(int rootfd, const char *path, int flags)
{
	char rest[PATH_MAX], link[PATH_MAX];
	int cur = rootfd, depth = 0, links = 0;
	struct stat st;

	if (!*path || strlen(path) >= sizeof(rest)) {
		errno = *path ? ENAMETOOLONG : ENOENT; /* as open("") */
		return -1;
	}
	strcpy(rest, path);
	char *p = rest;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p) /* the walk ends on the directory it stands on */
			break;
		char *end = p + strcspn(p, "/");
		int last = end[strspn(end, "/")] == '\0';
		int trailing_slash = *end == '/';
		*end = '\0';
		if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
			if (p[1] == '.' && depth > 0) {
				if (step_to(&cur, rootfd, openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
					return -1;
				depth--;
			}
			if (last)
				break;
			p = end + 1;
			continue;
		}
		int fd = openat(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			goto fail_fd;
		if (fstat(fd, &st) < 0) {
			close_keep_errno(fd);
			goto fail_fd;
		}
		if (S_ISLNK(st.st_mode) && !(last && !trailing_slash && (flags & O_NOFOLLOW))) {
			ssize_t n = readlinkat(fd, "", link, sizeof(link) - 1);
			close(fd);
			fd = -1;
			if (n <= 0 || ++links > 40) {
				errno = n < 0 ? errno : n == 0 ? ENOENT : ELOOP;
				goto fail_fd;
			}
			link[n] = '\0';
			/* link + "/" + what came after this component (a trailing
			 * slash kept: it asks for a directory) */
			const char *after = last ? "" : end + 1;
			if ((size_t)n + 1 + strlen(after) >= sizeof(link)) {
				errno = ENAMETOOLONG;
				goto fail_fd;
			}
			if (!last || trailing_slash)
				link[n++] = '/';
			strcpy(link + n, after);
			strcpy(rest, link);
			p = rest;
			if (rest[0] == '/') {
				step_to(&cur, rootfd, rootfd);
				depth = 0;
			}
			continue;
		}
		if (!last) {
			if (!S_ISDIR(st.st_mode)) {
				close(fd);
				errno = ENOTDIR;
				goto fail_fd;
			}
			step_to(&cur, rootfd, fd);
			depth++;
			p = end + 1;
			continue;
		}
		/* The last component, not a symlink (or one O_NOFOLLOW asks for). */
		close(fd);
		fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC | (trailing_slash ? O_DIRECTORY : 0));
		if (fd >= 0 && cur != rootfd)
			close(cur);
		else if (fd < 0)
			goto fail_fd;
		return fd;
	}
	{
		int fd = openat(cur, ".", flags | O_CLOEXEC);
		if (cur != rootfd)
			close_keep_errno(cur);
		return fd;
	}
fail_fd:
	if (cur != rootfd)
		close_keep_errno(cur);
	return -1;
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
	/* Reopen to get the new mount, not the directory under it. */
	int fd = tsm_open_in_root(rootfd, path, O_PATH);
	if (fd < 0)
		return -1;
	/* Read-only all the way down, as docker 25 makes ro binds: MS_REC
	 * brought the source's submounts along, and a remount reaches only the
	 * top one, so a submount would stay writable. mount_setattr (5.12)
	 * sets the flag on the whole tree and needs no locked flags repeated. */
	struct tsm_mount_attr attr = {TSM_MOUNT_ATTR_RDONLY, 0, 0, 0};
	*failed_step = "mount_setattr ro";
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | TSM_AT_RECURSIVE, &attr, sizeof(attr)) == 0) {
		close(fd);
		return 0;
	}
	if (errno != ENOSYS) {
		close_keep_errno(fd);
		return -1;
	}
	/* Older kernels: the top mount only, as before. A read-only remount
	 * must repeat the flags the kernel locked on the source mount (nosuid,
	 * nodev, ...), or it fails with EPERM. The statfs ST_* values equal
	 * the MS_* ones. */
	*failed_step = "remount ro";
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

/* runc's way: no put_old directory needed in the image. */
int tsm_pivot_here(const char *root, struct tsm_step *s)
{
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return tsm_step_failed(s, "open", "old root", "/");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return tsm_step_failed(s, "pivot_root", "", root);
	/* The old root now sits on top of "."; step into it and detach it. */
	if (fchdir(oldroot) < 0)
		return tsm_step_failed(s, "fchdir", "old root", "/");
	/* Detaching must not propagate to the host's mounts. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return tsm_step_failed(s, "mount", "old root slave", "/");
	if (umount2(".", MNT_DETACH) < 0)
		return tsm_step_failed(s, "umount2", "old root", "/");
	close(oldroot);
	return 0;
}
