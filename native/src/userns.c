/*
 * --private-users: the payload runs in a user namespace whose root is host
 * uid/gid BASE (nspawn's -U, podman's --userns). The design keeps every
 * other step unchanged: init does all its mounts as host root, in namespaces
 * owned by the host's user namespace, and only enters the container's user
 * namespace at the end, right before the capability drop and exec.
 *   - The overlay stays a mount of host root, so it keeps using trusted.*
 *     xattrs: the layers' opaque directories work as they always do (an
 *     overlay mounted inside a user namespace needs user.* xattrs instead).
 *   - The image layers are mapped, not chowned: each lowerdir gets an
 *     idmapped mount (Linux 5.12+) in init's private mount namespace, so a
 *     file of host uid 0 in a shared layer shows as uid 0 inside, and the
 *     same layer can serve containers with different ranges.
 *   - The upper dir holds the container's own files with host uids
 *     BASE + n (the runtime chowns its root, work dir and /etc files).
 * The namespace is created by a short-lived holder process whose maps the
 * child stage writes (as host root); an fd to it keeps it alive after the
 * holder exits. Async-signal-safe, raw syscalls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "stage.h"

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_SYMLINKS
#define MOVE_MOUNT_T_SYMLINKS 0x00000010
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

/* "0 BASE SIZE\n" into /proc/PID/{uid,gid}_map. */
static int write_map(int pid, const char *file, unsigned int base, unsigned int size, struct tsm_step *s)
{
	char path[64], line[48], num[12];
	tsm_proc_path(path, sizeof(path), pid, file);
	strcpy(line, "0 ");
	/* tsm_itoa takes an int: ids up to 2^31 are what the runtime allows */
	strcat(line, tsm_itoa((int)base, num));
	strcat(line, " ");
	strcat(line, tsm_itoa((int)size, num));
	strcat(line, "\n");
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return tsm_step_failed(s, "open", file, path);
	ssize_t n = write(fd, line, strlen(line));
	int err = errno;
	close(fd);
	if (n != (ssize_t)strlen(line)) {
		errno = n < 0 ? err : EIO;
		return tsm_step_failed(s, "write", file, path);
	}
	return 0;
}

int tsm_userns_open(unsigned int base, unsigned int size, struct tsm_step *s)
{
	int hold[2];
	if (pipe2(hold, O_CLOEXEC) < 0)
		return tsm_step_failed(s, "pipe2", "userns holder", "");
	pid_t pid = tsm_clone(CLONE_NEWUSER);
	if (pid < 0) {
		close(hold[0]);
		close(hold[1]);
		return tsm_step_failed(s, "clone", "CLONE_NEWUSER", "");
	}
	if (pid == 0) {
		/* The holder: exists until the maps are written and the fd taken. */
		char b;
		close(hold[1]);
		while (read(hold[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(hold[0]);
	int fd = -1;
	char path[64];
	tsm_proc_path(path, sizeof(path), pid, "ns/user");
	if (write_map(pid, "uid_map", base, size, s) == 0 && write_map(pid, "gid_map", base, size, s) == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			tsm_step_failed(s, "open", "user namespace", path);
	}
	int err = errno;
	close(hold[1]); /* EOF: the holder exits */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	errno = err;
	return fd;
}

int tsm_idmap_layer(const char *path, int usernsfd, struct tsm_step *s)
{
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC);
	if (fd < 0)
		return tsm_step_failed(s, "open_tree", "layer", path);
	struct mount_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_IDMAP;
	attr.userns_fd = (unsigned long long)usernsfd;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return tsm_step_failed(s, "mount_setattr", "idmap layer", path);
	}
	/* Over the layer itself: only init's private mount namespace sees it.
	 * The store names layers through short symlinks (image/store/lowerdir.ts);
	 * open_tree followed it, so must the target. */
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return tsm_step_failed(s, "move_mount", "idmap layer", path);
	}
	close(fd);
	return 0;
}

int tsm_userns_enter(int usernsfd, struct tsm_step *s)
{
	if (setns(usernsfd, CLONE_NEWUSER) < 0)
		return tsm_step_failed(s, "setns", "user", "");
	/* Still host uid 0, which the namespace does not map: become its root.
	 * Raw syscalls, as in user.c (glibc would signal threads we lack). */
	if (syscall(SYS_setgroups, 0, NULL) < 0)
		return tsm_step_failed(s, "setgroups", "userns root", "");
	if (syscall(SYS_setresgid, 0, 0, 0) < 0)
		return tsm_step_failed(s, "setresgid", "userns root", "");
	if (syscall(SYS_setresuid, 0, 0, 0) < 0)
		return tsm_step_failed(s, "setresuid", "userns root", "");
	/* The id change set dumpable to fs.suid_dumpable: back to 0 (spawn.c). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return tsm_step_failed(s, "prctl", "PR_SET_DUMPABLE", "");
	return 0;
}
