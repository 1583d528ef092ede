/*
 * The file system calls Node has no binding for (src/kernel/fsops.ts is the
 * TS side): flock locks that die with their holder, device nodes and
 * extended attributes for the image unpacker (whiteouts, opaque dirs). Each
 * returns 0 / a length, or -errno. Called from Node's thread, so malloc is
 * fine here (these never run in a stage).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include "api.h"

int tsm_flock(int fd, int op)
{
	int r;
	do
		r = flock(fd, op);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int tsm_mknod(const char *path, unsigned int mode, unsigned int major_, unsigned int minor_)
{
	return mknod(path, mode, makedev(major_, minor_)) < 0 ? -errno : 0;
}

int tsm_lsetxattr(const char *path, const char *name, const void *value, size_t len)
{
	return lsetxattr(path, name, value, len, 0) < 0 ? -errno : 0;
}

/* Sized by asking first, and asked again when the value grew in between
 * (ERANGE): a concurrent writer cannot make this fail. */
ssize_t tsm_xattr_read(const char *path, const char *name, char **out)
{
	*out = NULL;
	for (;;) {
		ssize_t n = name ? lgetxattr(path, name, NULL, 0) : llistxattr(path, NULL, 0);
		if (n < 0)
			return -errno;
		char *buf = malloc(n ? (size_t)n : 1);
		if (!buf)
			return -ENOMEM;
		ssize_t m = name ? lgetxattr(path, name, buf, (size_t)n) : llistxattr(path, buf, (size_t)n);
		int err = errno;
		if (m >= 0) {
			*out = buf;
			return m;
		}
		free(buf);
		if (err != ERANGE)
			return -err;
	}
}
