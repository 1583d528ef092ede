/*
 * The container's capabilities: the set its spec keeps (docker's default,
 * changed by --cap-add/--cap-drop, or all with --privileged; the names live
 * in src/kernel/caps.ts) becomes the bounding, effective and permitted sets.
 * Raw syscalls only: no libcap, nothing that allocates (this runs in a
 * forked copy of Node).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "stage.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

int tsm_drop_caps(uint64_t mask, struct tsm_step *s)
{
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * the capset below may take away. EINVAL marks the kernel's last cap. */
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1 && !(mask & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return tsm_step_failed(s, "prctl", "PR_CAPBSET_DROP", "");
	}
	/* Ambient caps would survive exec into a non-root user. EINVAL before 4.3. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return tsm_step_failed(s, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL", "");

	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	/* Never ask for a cap we lack (a restricted host): capset would refuse. */
	if (syscall(SYS_capget, &hdr, data) < 0)
		return tsm_step_failed(s, "capget", "", "");
	uint64_t have = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
	uint64_t set = have & mask;
	for (int i = 0; i < 2; i++) {
		data[i].effective = data[i].permitted = (uint32_t)(set >> (32 * i));
		/* Empty, as docker since 20.10.14: an inheritable set lets file
		 * capabilities of a binary grant caps to a non-root user
		 * (CVE-2022-24769). Root gets the bounding set at exec anyway. */
		data[i].inheritable = 0;
	}
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return tsm_step_failed(s, "capset", "", "");
	return 0;
}
