/*
 * The payload's seccomp filter (--seccomp default): a deny list, as classic
 * BPF built on the stack (libseccomp allocates, and this runs in a forked
 * copy of a multithreaded process).
 *
 * Which list, and why a deny list. docker's default profile (moby
 * profiles/seccomp/default_linux.go, read 2026-08) is an allow list with
 * EPERM for everything else; systemd-nspawn's (src/nspawn/nspawn-seccomp.c)
 * is an allow list of systemd's syscall groups. We deny what docker's
 * allow list leaves out for a container without CAP_SYS_ADMIN and with
 * docker's default capabilities, where nspawn agrees (both exclude the
 * keyring, bpf, perf, kexec, modules, swap, open_by_handle_at, quotactl,
 * lookup_dcookie, nfsservctl), and follow docker where they differ
 * (namespaces, userfaultfd, personality). Everything else is allowed. The
 * trade: a future syscall that hands out privilege is not caught until it is
 * added here, but a new program calling a new harmless syscall (clone3 and
 * faccessat2 each broke under docker's allow list until it was updated)
 * keeps working.
 *
 * Denied with EPERM, as if a capability were missing, group by group:
 *  - kernel code: kexec_load, kexec_file_load, init_module, finit_module,
 *    delete_module (and x86's create_module): they replace or extend the
 *    host's kernel. CAP_SYS_MODULE and CAP_SYS_BOOT are dropped as well.
 *  - swap: swapon, swapoff change host-wide memory.
 *  - host-wide accounting: acct, quotactl, quotactl_fd.
 *  - setting the clock: settimeofday, clock_settime (i386: stime,
 *    clock_settime64). The wall clock is not namespaced. adjtimex and
 *    clock_adjtime stay allowed, as docker: glibc's ntp_gettime() reads with
 *    them, their write modes need CAP_SYS_TIME (dropped), and the mode sits
 *    behind a pointer where a filter cannot look.
 *  - the keyring: add_key, request_key, keyctl. Keys are not namespaced:
 *    a container could read or plant keys of the host's users.
 *  - kernel introspection: bpf (bpffs and maps are not namespaced, a large
 *    attack surface), perf_event_open (kernel addresses, many past bugs),
 *    syslog (the host's kernel log), lookup_dcookie, fanotify_init (watches
 *    whole host filesystems).
 *  - userfaultfd: stalls the kernel's page faults at will, the usual tool to
 *    win a kernel race (docker denies it; nspawn allows it).
 *  - io_uring_setup, io_uring_enter, io_uring_register: a second way into
 *    the kernel that a filter cannot see (the operations queued on the ring
 *    never pass seccomp) and the source of a long run of privilege
 *    escalations; docker 25 took them out of its allow list, so they get its
 *    default answer, EPERM. Programs fall back to plain syscalls (liburing
 *    users check for the error), as they do on kernels built without it.
 *  - kcmp: compares kernel objects of two processes, a way to probe kernel
 *    pointers' order; docker allows it only with CAP_SYS_PTRACE, which the
 *    default set lacks.
 *  - open_by_handle_at: opens any inode of a filesystem by handle, past the
 *    mount namespace ("shocker", 2014); docker allows it only with
 *    CAP_DAC_READ_SEARCH. name_to_handle_at stays allowed (docker allows it;
 *    it only reads a handle).
 *  - namespaces: setns; clone and unshare with any CLONE_NEW* flag. A new
 *    user namespace hands CAP_SYS_ADMIN back over new mount and network
 *    namespaces, the kernel surface behind many escapes (CVE-2022-0185).
 *    docker denies these to containers without CAP_SYS_ADMIN (and unshare
 *    whole; we let unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM) through,
 *    which create nothing). clone3 gets ENOSYS, as docker: its flags sit
 *    behind a pointer, and glibc then falls back to clone.
 *  - personality: only docker's personas: PER_LINUX, PER_LINUX32, UNAME26,
 *    both, and 0xffffffff (the query). Others turn off ASLR
 *    (ADDR_NO_RANDOMIZE) or make data executable (READ_IMPLIES_EXEC).
 *  - socket(AF_ALG) and socket(AF_VSOCK), as docker's current profile: the
 *    kernel crypto API and vsock have had a run of exploitable bugs, and no
 *    container needs them. On i386, socketcall(2) carries the family behind
 *    a pointer, so it stays reachable there (docker has the same hole).
 *  - x86 raw I/O and leftovers: iopl, ioperm, vm86, vm86old, uselib,
 *    _sysctl, nfsservctl.
 * Deliberately not denied: reboot (in a PID namespace it only ends the
 * namespace, as nspawn allows; CAP_SYS_BOOT is dropped anyway); ptrace and
 * process_vm_* (docker allows them on kernels >= 4.8, which re-check seccomp
 * after a tracer changes a syscall); mount, umount2, pivot_root and the new
 * mount API (CAP_SYS_ADMIN is dropped, they fail with EPERM already).
 *
 * Architectures. The filter checks seccomp_data.arch before the number:
 * numbers differ per ABI (250 is keyctl on x86_64 but fadvise64 on i386,
 * whose keyctl is 288), so a number-only filter denies the wrong calls of a
 * 32-bit process and lets its keyctl through.
 *  - x86_64: AUDIT_ARCH_X86_64 with its numbers; x32 calls (the same arch
 *    with bit 0x40000000 in the number) get ENOSYS, since they reach the
 *    same kernel code under other numbers and x32 binaries hardly exist.
 *    AUDIT_ARCH_I386 (32-bit binaries, or int 0x80 from any) gets the same
 *    list with the i386 numbers.
 *  - aarch64: AUDIT_ARCH_AARCH64 with its numbers; AArch32 calls get
 *    ENOSYS (32-bit ARM binaries do not run in the container; many arm64
 *    CPUs cannot run them at all).
 *  - any other arch value on these hosts: ENOSYS.
 *  - built for another architecture: no filter is installed (tsm_seccomp
 *    returns 0 and /proc/PID/status shows Seccomp: 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "stage.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef NATIVE_ARCH

/* Numbers from the unified table (>= 403), same on every architecture;
 * older headers may not name them. */
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_quotactl_fd
#define __NR_quotactl_fd 443
#endif
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif

#define X32_SYSCALL_BIT 0x40000000u
/* Docker's mask for clone (CLONE_NEWTIME's bit is the exit signal's there). */
#define CLONE_NS_FLAGS 0x7e020000u /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define UNSHARE_NS_FLAGS (CLONE_NS_FLAGS | 0x80u) /* | CLONE_NEWTIME */
#define AF_ALG_ 38
#define AF_VSOCK_ 40

static const unsigned int personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffffu};

/* One ABI's numbers: the plain denials and the calls whose arguments count. */
struct abi {
	const int *denied;
	size_t ndenied;
	int clone, unshare, clone3, personality, socket;
};

static const int native_denied[] = {
	__NR_kexec_load, __NR_kexec_file_load, __NR_init_module, __NR_finit_module, __NR_delete_module,
	__NR_swapon, __NR_swapoff,
	__NR_acct, __NR_quotactl, __NR_quotactl_fd,
	__NR_settimeofday, __NR_clock_settime,
	__NR_add_key, __NR_request_key, __NR_keyctl,
	__NR_bpf, __NR_perf_event_open, __NR_syslog, __NR_fanotify_init,
	__NR_userfaultfd,
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
	__NR_kcmp,
	__NR_open_by_handle_at,
	__NR_setns,
#ifdef __NR_lookup_dcookie
	__NR_lookup_dcookie,
#endif
#ifdef __NR_nfsservctl
	__NR_nfsservctl,
#endif
#ifdef __x86_64__
	__NR_create_module, __NR_iopl, __NR_ioperm, __NR_uselib, __NR__sysctl,
#endif
};

static const struct abi native_abi = {
	native_denied, sizeof(native_denied) / sizeof(native_denied[0]),
	__NR_clone, __NR_unshare, __NR_clone3, __NR_personality, __NR_socket,
};

#ifdef __x86_64__
/* arch/x86/entry/syscalls/syscall_32.tbl (checked against asm/unistd_32.h);
 * the glibc headers of an x86_64 build name only the 64-bit numbers. */
static const int i386_denied[] = {
	283 /* kexec_load */, 128 /* init_module */, 350 /* finit_module */, 129 /* delete_module */,
	127 /* create_module */,
	87 /* swapon */, 115 /* swapoff */,
	51 /* acct */, 131 /* quotactl */, 443 /* quotactl_fd */,
	79 /* settimeofday */, 25 /* stime */, 264 /* clock_settime */, 404 /* clock_settime64 */,
	286 /* add_key */, 287 /* request_key */, 288 /* keyctl */,
	357 /* bpf */, 336 /* perf_event_open */, 103 /* syslog */, 338 /* fanotify_init */,
	253 /* lookup_dcookie */,
	374 /* userfaultfd */,
	425 /* io_uring_setup */, 426 /* io_uring_enter */, 427 /* io_uring_register */,
	349 /* kcmp */,
	342 /* open_by_handle_at */,
	346 /* setns */,
	169 /* nfsservctl */, 110 /* iopl */, 101 /* ioperm */, 113 /* vm86old */, 166 /* vm86 */,
	86 /* uselib */, 149 /* _sysctl */,
};

static const struct abi i386_abi = {
	i386_denied, sizeof(i386_denied) / sizeof(i386_denied[0]),
	120 /* clone */, 310 /* unshare */, 435 /* clone3 */, 136 /* personality */, 359 /* socket */,
};
#endif

/* A filter under construction; n keeps counting past max so overflow shows. */
struct prog {
	struct sock_filter *f;
	unsigned int n, max;
};

static unsigned int emit(struct prog *p, unsigned short code, unsigned int k, unsigned char jt, unsigned char jf)
{
	if (p->n < p->max) {
		p->f[p->n].code = code;
		p->f[p->n].jt = jt;
		p->f[p->n].jf = jf;
		p->f[p->n].k = k;
	}
	return p->n++;
}

/* A forward BPF_JA at `at`, to land on the next instruction emitted. */
static void land(struct prog *p, unsigned int at)
{
	if (at < p->max)
		p->f[at].k = p->n - at - 1;
}

#define LD(off) emit(p, BPF_LD | BPF_W | BPF_ABS, (off), 0, 0)
#define JEQ(k, jt, jf) emit(p, BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET(k) emit(p, BPF_RET | BPF_K, (k), 0, 0)
#define ALLOW SECCOMP_RET_ALLOW
#define FAIL_WITH(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
/* The low 32 bits of argument i: little-endian on both supported ABIs. The
 * flags and values checked here all fit in them (clone's flags above bit 31
 * exist only for clone3). */
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define NR offsetof(struct seccomp_data, nr)

/* Skips `len` instructions when the number is not nr; the block must return. */
static void when_nr(struct prog *p, int nr, unsigned char len)
{
	JEQ((unsigned int)nr, 0, len);
}

static void abi_rules(struct prog *p, const struct abi *a)
{
	for (size_t i = 0; i < a->ndenied; i++) {
		JEQ((unsigned int)a->denied[i], 0, 1);
		RET(FAIL_WITH(EPERM));
	}
	when_nr(p, a->clone, 4);
	LD(ARG_LO(0));
	emit(p, BPF_JMP | BPF_JSET | BPF_K, CLONE_NS_FLAGS, 0, 1);
	RET(FAIL_WITH(EPERM));
	RET(ALLOW);

	when_nr(p, a->unshare, 4);
	LD(ARG_LO(0));
	emit(p, BPF_JMP | BPF_JSET | BPF_K, UNSHARE_NS_FLAGS, 0, 1);
	RET(FAIL_WITH(EPERM));
	RET(ALLOW);

	when_nr(p, a->clone3, 1);
	RET(FAIL_WITH(ENOSYS));

	const unsigned char np = sizeof(personas) / sizeof(personas[0]);
	when_nr(p, a->personality, np + 3);
	LD(ARG_LO(0));
	for (unsigned char i = 0; i < np; i++)
		JEQ(personas[i], (unsigned char)(np - i), 0);
	RET(FAIL_WITH(EPERM));
	RET(ALLOW);

	when_nr(p, a->socket, 5);
	LD(ARG_LO(0));
	JEQ(AF_ALG_, 2, 0);
	JEQ(AF_VSOCK_, 1, 0);
	RET(ALLOW);
	RET(FAIL_WITH(EPERM));

	RET(ALLOW);
}

int tsm_seccomp_program(struct sock_filter *out, unsigned int max)
{
	struct prog prog = {out, 0, max}, *p = &prog;

	LD(offsetof(struct seccomp_data, arch));
	JEQ(NATIVE_ARCH, 0, 1);
	unsigned int to_native = emit(p, BPF_JMP | BPF_JA, 0, 0, 0);
#ifdef __x86_64__
	JEQ(AUDIT_ARCH_I386, 0, 1);
	unsigned int to_i386 = emit(p, BPF_JMP | BPF_JA, 0, 0, 0);
#endif
	RET(FAIL_WITH(ENOSYS)); /* an ABI we have no numbers for */

	land(p, to_native);
	LD(NR);
#ifdef __x86_64__
	emit(p, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
	RET(FAIL_WITH(ENOSYS));
#endif
	abi_rules(p, &native_abi);

#ifdef __x86_64__
	land(p, to_i386);
	LD(NR);
	abi_rules(p, &i386_abi);
#endif
	if (prog.n > max) {
		errno = E2BIG;
		return -1;
	}
	return (int)prog.n;
}

#else /* no numbers for this architecture: no filter */

int tsm_seccomp_program(struct sock_filter *out, unsigned int max)
{
	(void)out;
	(void)max;
	return 0;
}

#endif

/* Ample: the program above is about 205 instructions (1.6 kB of stack). */
#define MAX_INSNS 320

int tsm_seccomp(struct tsm_step *s)
{
	struct sock_filter f[MAX_INSNS];
	int n = tsm_seccomp_program(f, MAX_INSNS);
	if (n < 0)
		return tsm_step_failed(s, "seccomp", "build filter", "");
	if (n == 0)
		return 0;
	struct sock_fprog prog = {(unsigned short)n, f};
	/* Without no_new_privs this needs CAP_SYS_ADMIN: the caller still has
	 * it. prctl rather than seccomp(2): the same on every kernel since 3.5. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return tsm_step_failed(s, "prctl", "PR_SET_SECCOMP", "");
	return 0;
}

int tsm_no_new_privs(struct tsm_step *s)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return tsm_step_failed(s, "prctl", "PR_SET_NO_NEW_PRIVS", "");
	return 0;
}
