/*
 * runc's (and docker's) default masked and read-only paths: kernel memory,
 * keyrings, timer and scheduler internals leak host information or allow
 * side channels; /proc/sys, sysrq-trigger and friends would let the
 * container's root reconfigure the host kernel (they are not namespaced).
 * Done before pivot_root through the rootfs-confined helpers of rootfs.c,
 * after /proc and /sys are mounted. A path the kernel lacks is skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rootfs.h"
#include "stage.h"

/* Files get /dev/null bound over them, directories an empty read-only tmpfs. */
static const char *const masked[] = {
	"/proc/asound",	     "/proc/acpi",	  "/proc/kcore",      "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	     "/sys/firmware",	  "/sys/devices/virtual/powercap",
};

static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int tsm_mask_paths(int rootfd, struct tsm_step *s)
{
	struct stat st;
	const char *step; /* which mount of a bind failed: the path says enough */
	char src[32];

	for (size_t i = 0; i < N(masked); i++) {
		int fd = tsm_open_in_root(rootfd, masked[i], O_PATH);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return tsm_step_failed(s, "open", "masked path", masked[i]);
		close(fd);
		int r = S_ISDIR(st.st_mode)
				? tsm_mount_in_root(rootfd, "tmpfs", masked[i], "tmpfs",
						    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555")
				: tsm_bind_in_root(rootfd, "/dev/null", masked[i], 0, &step);
		if (r < 0)
			return tsm_step_failed(s, "mount", "masked path", masked[i]);
	}
	for (size_t i = 0; i < N(readonly); i++) {
		int fd = tsm_open_in_root(rootfd, readonly[i], O_PATH);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return tsm_step_failed(s, "open", "read-only path", readonly[i]);
		/* Bind the path onto itself, named by the fd that resolved in the rootfs. */
		int r = tsm_bind_in_root(rootfd, tsm_fd_path(fd, src), readonly[i], 1, &step);
		int err = errno;
		close(fd);
		errno = err;
		if (r < 0)
			return tsm_step_failed(s, "mount", "read-only path", readonly[i]);
	}
	return 0;
}
