/*
 * An OCI runtime-spec seccomp profile (linux.seccomp, validated by src/oci/
 * and encoded by src/kernel/seccomp-compile.ts) compiled to classic BPF with
 * libseccomp, the library runc and crun use: its syscall tables (every
 * architecture's numbers, the multiplexed socketcall/ipc calls of i386 and
 * s390) are what profiles are written against, and matching its output is
 * matching theirs. This runs in the parent (Node's thread) before any fork,
 * because libseccomp allocates: the stages only hand the bytes to
 * seccomp(2).
 *
 * Opened with dlopen on first use, as nft.c does libnftables: Debian's
 * libseccomp2 ships no header without libseccomp-dev, and tsmachine's own
 * containers (seccomp.c) never need it. So the few prototypes and constants
 * are declared here, from libseccomp 2.5's seccomp.h; they are ABI, stable
 * since 2.4.
 *
 * Records ("key=value\0", order kept):
 *   default=SCMP_ACT_…  default_errno=N  arch=SCMP_ARCH_… (repeat)
 *   then one group per profile rule, starting at r_action:
 *   r_action=SCMP_ACT_…  r_errno=N  r_name=NAME (repeat)
 *   r_arg=INDEX OP VALUE VALUE2 (repeat; OP is SCMP_CMP_…, values decimal u64)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "api.h"
#include "request.h"

/* seccomp.h (libseccomp 2.5) */
#define SCMP_ACT_KILL_PROCESS 0x80000000U
#define SCMP_ACT_KILL_THREAD 0x00000000U
#define SCMP_ACT_TRAP 0x00030000U
#define SCMP_ACT_ERRNO(x) (0x00050000U | ((x)&0x0000ffffU))
#define SCMP_ACT_TRACE(x) (0x7ff00000U | ((x)&0x0000ffffU))
#define SCMP_ACT_LOG 0x7ffc0000U
#define SCMP_ACT_ALLOW 0x7fff0000U
#define NR_SCMP_ERROR (-1)
enum { SCMP_FLTATR_CTL_NNP = 3, SCMP_FLTATR_CTL_OPTIMIZE = 8 };
struct scmp_arg_cmp {
	unsigned int arg;
	int op; /* enum scmp_compare: SCMP_CMP_NE = 1 … SCMP_CMP_MASKED_EQ = 7 */
	uint64_t datum_a;
	uint64_t datum_b;
};
struct scmp_version {
	unsigned int major, minor, micro;
};

static struct {
	int state; /* 0 not tried, 1 loaded, -1 unavailable */
	void *(*init)(uint32_t);
	void (*release)(void *);
	int (*attr_set)(void *, int, uint32_t);
	uint32_t (*arch_resolve_name)(const char *);
	int (*arch_add)(void *, uint32_t);
	int (*syscall_resolve_name)(const char *);
	int (*rule_add_array)(void *, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);
	int (*export_bpf)(void *, int);
	const struct scmp_version *(*version)(void);
} scmp;

static int scmp_load(void)
{
	if (scmp.state)
		return scmp.state > 0;
	const struct tsm_dlsym syms[] = {
		{"seccomp_init", &scmp.init},
		{"seccomp_release", &scmp.release},
		{"seccomp_attr_set", &scmp.attr_set},
		{"seccomp_arch_resolve_name", &scmp.arch_resolve_name},
		{"seccomp_arch_add", &scmp.arch_add},
		{"seccomp_syscall_resolve_name", &scmp.syscall_resolve_name},
		{"seccomp_rule_add_array", &scmp.rule_add_array},
		{"seccomp_export_bpf", &scmp.export_bpf},
		{"seccomp_version", &scmp.version},
	};
	scmp.state = tsm_dlsyms("libseccomp.so.2", syms, sizeof(syms) / sizeof(syms[0])) ? 1 : -1;
	return scmp.state > 0;
}

int tsm_seccomp_version(unsigned int v[3])
{
	if (!scmp_load())
		return -ENOENT;
	const struct scmp_version *s = scmp.version();
	v[0] = s->major;
	v[1] = s->minor;
	v[2] = s->micro;
	return 0;
}

/* "SCMP_ARCH_X86_64" → libseccomp's "x86_64" (the names it resolves are lower case, without the prefix, as crun passes them). */
static uint32_t arch_token(const char *name)
{
	char low[32];
	size_t i = 0;
	if (strncmp(name, "SCMP_ARCH_", 10) == 0)
		name += 10;
	for (; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	if (name[i])
		return 0;
	low[i] = '\0';
	return scmp.arch_resolve_name(low);
}

long tsm_seccomp_arch(const char *name)
{
	if (!scmp_load())
		return -ENOENT;
	return arch_token(name);
}

static const struct {
	const char *name;
	uint32_t action;
	int takes_errno;
} actions[] = {
	/* SCMP_ACT_KILL is KILL_THREAD, in libseccomp and in runc/crun. */
	{"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, 0},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0},
	{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), 1},
	{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), 1},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG, 0},
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0},
};

static const char *const operators[] = {NULL,          "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
					"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

/* The profile's errno when given, else EPERM (runc's and crun's default for ERRNO and TRACE). -1: not an action. */
static int64_t action_value(const char *name, const char *errno_str)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(name, actions[i].name) != 0)
			continue;
		if (!actions[i].takes_errno)
			return errno_str ? -1 : (int64_t)actions[i].action;
		unsigned long e = EPERM;
		if (errno_str) {
			char *end;
			errno = 0;
			e = strtoul(errno_str, &end, 10);
			if (errno || *end || !*errno_str || e > 0xffff)
				return -1;
		}
		return actions[i].action | (uint32_t)e;
	}
	return -1;
}

/* "INDEX OP VALUE VALUE2" */
static int parse_arg(const char *s, struct scmp_arg_cmp *c)
{
	char op[24];
	unsigned int index;
	unsigned long long a, b;
	int n = 0;
	if (sscanf(s, "%u %23s %llu %llu%n", &index, op, &a, &b, &n) != 4 || s[n] != '\0' || index > 5)
		return -1;
	c->arg = index;
	c->op = 0;
	for (int i = 1; i < (int)(sizeof(operators) / sizeof(operators[0])); i++)
		if (strcmp(op, operators[i]) == 0)
			c->op = i;
	c->datum_a = a;
	c->datum_b = b;
	return c->op ? 0 : -1;
}

static int fail(struct tsm_result *r, int err, const char *syscall, const char *what, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->err = err;
	snprintf(r->stage, sizeof(r->stage), "parent");
	snprintf(r->syscall, sizeof(r->syscall), "%s", syscall);
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->path, sizeof(r->path), "%s", path);
	return -1;
}

/* libseccomp refuses two conditions on one argument in a rule (-EINVAL), so
 * runc and crun then add each condition of the rule as a rule of its own:
 * ANY of them matches (OR) instead of all (AND). Profiles rely on it (docker's
 * old clone masks); we do the same, so a profile means what it means there. */
#define MAX_ARGS 64

struct rule {
	int index; /* in the profile's syscalls[], for errors */
	uint32_t action;
	const char **names;
	int nnames;
	struct scmp_arg_cmp args[MAX_ARGS];
	int nargs;
};

static int add_rule(void *ctx, const struct rule *ru, struct tsm_result *r)
{
	char where[32];
	int seen = 0, repeated = 0;
	for (int i = 0; i < ru->nargs; i++) {
		if (seen & (1 << ru->args[i].arg))
			repeated = 1;
		seen |= 1 << ru->args[i].arg;
	}
	snprintf(where, sizeof(where), "syscalls[%d]", ru->index);
	for (int n = 0; n < ru->nnames; n++) {
		int nr = scmp.syscall_resolve_name(ru->names[n]);
		/* A name this libseccomp does not know (newer than it, or of
		 * another architecture family) is skipped, as runc and crun do:
		 * profiles list syscalls for every kernel and arch. */
		if (nr == NR_SCMP_ERROR)
			continue;
		int rc = 0;
		if (!repeated || ru->nargs == 0)
			rc = scmp.rule_add_array(ctx, ru->action, nr, (unsigned int)ru->nargs, ru->nargs ? ru->args : NULL);
		else
			for (int i = 0; i < ru->nargs && rc == 0; i++)
				rc = scmp.rule_add_array(ctx, ru->action, nr, 1, &ru->args[i]);
		if (rc < 0)
			return fail(r, -rc, "seccomp_rule_add", ru->names[n], where);
	}
	return 0;
}

/* The exported program, read back from a memfd (libseccomp 2.5 can only write to an fd). */
static int export(void *ctx, unsigned char **prog, size_t *prog_len, struct tsm_result *r)
{
	int fd = memfd_create("tsm-seccomp-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return fail(r, errno, "memfd_create", "seccomp", "");
	int rc = scmp.export_bpf(ctx, fd);
	if (rc < 0) {
		close(fd);
		return fail(r, -rc, "seccomp_export_bpf", "", "");
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail(r, e, "fstat", "seccomp", "");
	}
	size_t len = (size_t)st.st_size, got = 0;
	unsigned char *buf = malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		return fail(r, ENOMEM, "malloc", "seccomp", "");
	}
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return fail(r, e, "read", "seccomp", "");
		}
		got += (size_t)n;
	}
	close(fd);
	*prog = buf;
	*prog_len = len;
	return 0;
}

static int compile(const char **recs, int nrecs, void **ctxp, struct rule *ru, unsigned char **prog, size_t *prog_len,
		   struct tsm_result *r)
{
	const char *def = NULL, *def_errno = NULL, *v;
	int i = 0, nrules = 0;
	for (; i < nrecs && strncmp(recs[i], "r_action=", 9) != 0; i++) {
		if (tsm_key_is(recs[i], "default", &v))
			def = v;
		else if (tsm_key_is(recs[i], "default_errno", &v))
			def_errno = v;
		else if (strncmp(recs[i], "arch=", 5) != 0)
			return fail(r, EINVAL, "validate", "seccomp record", recs[i]);
	}
	int64_t def_action = def ? action_value(def, def_errno) : -1;
	if (def_action < 0)
		return fail(r, EINVAL, "validate", "seccomp default action", def ? def : "");
	for (int j = i; j < nrecs; j++)
		nrules += strncmp(recs[j], "r_action=", 9) == 0;
	void *ctx = *ctxp = scmp.init((uint32_t)def_action);
	/* NULL: an action this kernel lacks (KILL_PROCESS before 4.14, LOG before 4.14). */
	if (!ctx)
		return fail(r, EOPNOTSUPP, "seccomp_init", def, "");
	/* no_new_privs is the stages' decision (process.noNewPrivileges; without
	 * it they load the filter with CAP_SYS_ADMIN instead). The attribute only
	 * acts in seccomp_load, never called here, but runc clears it too: this
	 * context then describes the filter as the stages will load it.
	 * SCMP_FLTATR_API_TSKIP stays off: it only admits rules on syscall -1 (a
	 * tracer's "skip"), and every name here resolves to a real number. */
	int rc = scmp.attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		return fail(r, -rc, "seccomp_attr_set", "SCMP_FLTATR_CTL_NNP", "");
	/* A binary tree of syscalls instead of a linear chain for long profiles
	 * (podman's allows ~370 names: hundreds of compares per call otherwise).
	 * runc's threshold, 32 rules: libseccomp up to 2.5.4 builds a broken
	 * tree with no rules. Older libraries lack the attribute: no matter. */
	if (nrules > 32)
		(void)scmp.attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (int j = 0; j < i; j++) {
		if (!tsm_key_is(recs[j], "arch", &v))
			continue;
		uint32_t tok = arch_token(v);
		if (!tok)
			return fail(r, EINVAL, "seccomp_arch_add", "unknown architecture", v);
		rc = scmp.arch_add(ctx, tok);
		if (rc < 0 && rc != -EEXIST)
			return fail(r, -rc, "seccomp_arch_add", "", v);
	}
	int index = -1;
	while (i < nrecs) {
		/* recs[i] is r_action=…: gather its group. */
		const char *act = recs[i] + 9, *err_str = NULL;
		ru->index = ++index;
		/* The names are packed into the group's own slots of recs, each
		 * one no further than the record it came from (already read). */
		ru->names = &recs[i];
		ru->nnames = ru->nargs = 0;
		for (i++; i < nrecs && strncmp(recs[i], "r_action=", 9) != 0; i++) {
			if (tsm_key_is(recs[i], "r_name", &v)) {
				ru->names[ru->nnames++] = v;
			} else if (tsm_key_is(recs[i], "r_errno", &v)) {
				err_str = v;
			} else if (tsm_key_is(recs[i], "r_arg", &v)) {
				if (ru->nargs == MAX_ARGS)
					return fail(r, E2BIG, "validate", "seccomp args", act);
				if (parse_arg(v, &ru->args[ru->nargs++]) < 0)
					return fail(r, EINVAL, "validate", "seccomp arg", v);
			} else {
				return fail(r, EINVAL, "validate", "seccomp record", recs[i]);
			}
		}
		int64_t a = action_value(act, err_str);
		if (a < 0)
			return fail(r, EINVAL, "validate", "seccomp action", act);
		ru->action = (uint32_t)a;
		/* libseccomp refuses a rule with the default action (-EACCES);
		 * runc and crun drop it, as it changes nothing. */
		if (ru->action == (uint32_t)def_action)
			continue;
		if (add_rule(ctx, ru, r) < 0)
			return -1;
	}
	return export(ctx, prog, prog_len, r);
}

int tsm_seccomp_compile(const char *blob, size_t len, unsigned char **prog, size_t *prog_len, struct tsm_result *r)
{
	*prog = NULL;
	*prog_len = 0;
	if (!scmp_load())
		return fail(r, ENOENT, "dlopen", "libseccomp.so.2", "");
	if (len == 0 || blob[len - 1] != '\0')
		return fail(r, EINVAL, "validate", "seccomp records", "");
	int nrecs = 0;
	for (size_t o = 0; o < len; o += strlen(blob + o) + 1)
		nrecs++;
	const char **recs = malloc(sizeof(*recs) * (size_t)nrecs);
	struct rule *ru = malloc(sizeof(*ru));
	if (!recs || !ru) {
		free(recs);
		free(ru);
		return fail(r, ENOMEM, "malloc", "seccomp", "");
	}
	nrecs = 0;
	for (size_t o = 0; o < len; o += strlen(blob + o) + 1)
		recs[nrecs++] = blob + o;
	void *ctx = NULL;
	int rc = compile(recs, nrecs, &ctx, ru, prog, prog_len, r);
	if (ctx)
		scmp.release(ctx);
	free(recs);
	free(ru);
	return rc;
}
