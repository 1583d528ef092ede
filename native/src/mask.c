/*
 * runc's (and docker's) default masked and read-only paths: kernel memory,
 * keyrings, timer and scheduler internals leak host information or allow
 * side channels; /proc/sys, sysrq-trigger and friends would let the
 * container's root reconfigure the host kernel (they are not namespaced).
 * Done before pivot_root through the rootfs-confined helpers of rootfs.c,
 * after /proc and /sys are mounted. A path the kernel lacks is skipped.
 * Current runc and Kubernetes add /proc/interrupts (per-CPU interrupt
 * counts of the host's devices, a side channel) and each CPU's
 * thermal_throttle directory (throttling counters, the same); the CPUs are
 * read from the container's /sys/devices/system/cpu with getdents64 into a
 * stack buffer, since this stage may not allocate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "rootfs.h"
#include "stage.h"

static const char *const masked[] = {
	"/proc/asound",	     "/proc/acpi",	  "/proc/interrupts", "/proc/kcore",      "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	     "/sys/firmware",	  "/sys/devices/virtual/powercap",
};

static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define CPU_DIR "/sys/devices/system/cpu"
/* CPU_DIR "/cpu" + up to 10 digits + "/thermal_throttle" */
#define CPU_PATH_MAX (sizeof(CPU_DIR) + 32)

/* A failure's path outlives the buffer it was built in (the caller reports it
 * after we return); the stage is single-threaded, so one static copy will do. */
static char failed_path[CPU_PATH_MAX];

static int mask_failed(struct tsm_step *s, const char *syscall, const char *path)
{
	tsm_strlcpy(failed_path, path, sizeof(failed_path));
	return tsm_step_failed(s, syscall, "masked path", failed_path);
}

/* Files get /dev/null bound over them, directories an empty read-only tmpfs. */
static int mask_one(int rootfd, const char *path, struct tsm_step *s)
{
	struct stat st;
	const char *step; /* which mount of a bind failed: the path says enough */
	int fd = tsm_open_in_root(rootfd, path, O_PATH);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return mask_failed(s, "open", path);
	close(fd);
	int r = S_ISDIR(st.st_mode)
			? tsm_mount_in_root(rootfd, "tmpfs", path, "tmpfs",
					    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555")
			: tsm_bind_in_root(rootfd, "/dev/null", path, 0, &step);
	return r < 0 ? mask_failed(s, "mount", path) : 0;
}

/* "cpu" and digits only: cpufreq, cpuidle and the like are not CPUs. */
static int is_cpu_name(const char *name)
{
	if (strncmp(name, "cpu", 3) != 0 || !name[3] || strlen(name) > 13)
		return 0;
	for (const char *p = name + 3; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int tsm_each_cpu_path(int rootfd, const char *cpudir, const char *tail,
		      int (*each)(int rootfd, const char *path, void *arg), void *arg)
{
	char buf[4096] __attribute__((aligned(8)));
	char path[CPU_PATH_MAX + 64];
	size_t dlen = strlen(cpudir), tlen = strlen(tail);
	if (dlen + tlen + 16 > sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int dfd = tsm_open_in_root(rootfd, cpudir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	int r = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n <= 0) {
			r = (int)n;
			break;
		}
		for (long off = 0; off < n && r == 0;) {
			const struct linux_dirent64 *d = (const void *)(buf + off);
			off += d->d_reclen;
			if (!is_cpu_name(d->d_name))
				continue;
			memcpy(path, cpudir, dlen);
			path[dlen] = '/';
			strcpy(path + dlen + 1, d->d_name);
			strcat(path, tail);
			/* Only those that exist: most machines have none. */
			int fd = tsm_open_in_root(rootfd, path, O_PATH);
			if (fd < 0) {
				if (errno != ENOENT)
					r = -1;
				continue;
			}
			close(fd);
			r = each(rootfd, path, arg);
		}
		if (r != 0)
			break;
	}
	int err = errno;
	close(dfd);
	errno = err;
	return r;
}

static int mask_cpu_path(int rootfd, const char *path, void *arg)
{
	return mask_one(rootfd, path, arg);
}

int tsm_mask_paths(int rootfd, struct tsm_step *s)
{
	const char *step;
	char src[32];

	for (size_t i = 0; i < N(masked); i++)
		if (mask_one(rootfd, masked[i], s) < 0)
			return -1;
	s->syscall = NULL;
	if (tsm_each_cpu_path(rootfd, CPU_DIR, "/thermal_throttle", mask_cpu_path, s) < 0)
		return s->syscall ? -1 : tsm_step_failed(s, "getdents64", "masked path", CPU_DIR);
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
