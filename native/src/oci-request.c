/*
 * The OCI request ("key=value\0" records from src/kernel/oci.ts) into
 * struct tsm_oci_config, in the parent before any fork: malloc is fine here,
 * and every number is parsed once, so the stages only read.
 * Groups (m_*, d_*, h_*) start at their first key (m_dst, d_path, h_kind);
 * later keys of the group apply to the latest one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oci.h"
#include "request.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* A NULL-terminated, growing array of strings. */
struct strv {
	char **v;
	int n, cap;
};

static int strv_push(struct strv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		int cap = a->cap ? a->cap * 2 : 8;
		char **v = realloc(a->v, (size_t)cap * sizeof(char *));
		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	if (!(a->v[a->n] = strdup(s)))
		return -1;
	a->v[++a->n] = NULL;
	return 0;
}

/* An empty list is an array holding only NULL, never NULL itself. */
static char **strv_take(struct strv *a)
{
	if (!a->v && strv_push(a, "") == 0) {
		free(a->v[0]);
		a->v[0] = NULL;
		a->n = 0;
	}
	return a->v;
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* Grows *arr (of elem bytes each) by one zeroed element and returns it;
 * NULL (the array untouched) when out of memory. */
static void *grow(void *arr, int *n, size_t elem)
{
	char *a = realloc(*(void **)arr, (size_t)(*n + 1) * elem);
	if (!a)
		return NULL;
	*(void **)arr = a;
	memset(a + (size_t)*n * elem, 0, elem);
	return a + (size_t)(*n)++ * elem;
}

#define key_is tsm_key_is /* request.c's, by the name this file's parser uses */

/* Whole-string numbers only: a typo in TS must not become 0 here. */
static int num_u64(const char *s, int base, unsigned long long *out)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || *end ? -1 : 0;
}

static int num_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	if (!*s)
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end || *out < lo || *out > hi ? -1 : 0;
}

static int append(char **dst, const char *line)
{
	size_t old = *dst ? strlen(*dst) : 0;
	char *d = realloc(*dst, old + strlen(line) + 1);
	if (!d)
		return -1;
	strcpy(d + old, line);
	*dst = d;
	return 0;
}

static const struct {
	const char *name;
	int flag;
} ns_types[] = {
	{"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},   {"ipc", CLONE_NEWIPC},
	{"uts", CLONE_NEWUTS}, {"user", CLONE_NEWUSER},   {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static int ns_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++)
		if (strlen(ns_types[i].name) == len && strncmp(ns_types[i].name, name, len) == 0)
			return ns_types[i].flag;
	return 0;
}

/* "C H S" (three decimals) into "C H S\n" appended to *map. */
static int id_map(char **map, const char *v)
{
	unsigned long long a, b, c;
	char tail;
	if (sscanf(v, "%llu %llu %llu%c", &a, &b, &c, &tail) != 3 || a > 0xffffffffULL || b > 0xffffffffULL ||
	    c == 0 || c > 0xffffffffULL)
		return -2;
	char line[64];
	snprintf(line, sizeof(line), "%llu %llu %llu\n", a, b, c);
	return append(map, line);
}

static int time_offset(char **text, const char *clock, const char *v)
{
	long long secs, nsecs;
	char tail;
	if (sscanf(v, "%lld %lld%c", &secs, &nsecs, &tail) != 2 || nsecs < 0 || nsecs > 999999999)
		return -2;
	char line[80];
	snprintf(line, sizeof(line), "%s %lld %lld\n", clock, secs, nsecs);
	return append(text, line);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* struct sock_filter[] bytes as hex: 8 bytes per instruction, up to BPF_MAXINSNS. */
static int bpf_program(struct tsm_oci_process *p, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n % 16 || n / 16 > BPF_MAXINSNS)
		return -2;
	unsigned char *b = malloc(n / 2);
	if (!b)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return -2;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	free(p->bpf);
	p->bpf = (struct sock_filter *)b;
	p->bpf_len = (unsigned short)(n / 16);
	return 0;
}

/* The process keys, shared by create and exec: 1 taken, 0 not ours, -1 ENOMEM, -2 malformed. */
static int process_key(struct tsm_oci_process *p, const char *r, struct strv *argv, struct strv *env,
		       struct strv *gids)
{
	const char *v;
	unsigned long long u;
	long long i;
	if (key_is(r, "argv", &v))
		return strv_push(argv, v) < 0 ? -1 : 1;
	if (key_is(r, "env", &v))
		return strv_push(env, v) < 0 ? -1 : 1;
	if (key_is(r, "gid_add", &v))
		return strv_push(gids, v) < 0 ? -1 : 1;
	if (key_is(r, "cwd", &v)) {
		free(p->cwd);
		return (p->cwd = strdup(v)) ? 1 : -1;
	}
	if (key_is(r, "apparmor", &v)) {
		free(p->apparmor);
		return (p->apparmor = strdup(v)) ? 1 : -1;
	}
	if (key_is(r, "uid", &v))
		return num_int(v, 0, 0xfffffffeLL, &i) < 0 ? -2 : (p->uid = (uid_t)i, 1);
	if (key_is(r, "gid", &v))
		return num_int(v, 0, 0xfffffffeLL, &i) < 0 ? -2 : (p->gid = (gid_t)i, 1);
	if (key_is(r, "umask", &v))
		return num_int(v, 0, 0777, &i) < 0 ? -2 : (p->umask = (int)i, 1);
	if (key_is(r, "oom", &v))
		return num_int(v, -1000, 1000, &i) < 0 ? -2 : (p->oom = (int)i, p->has_oom = 1, 1);
	if (key_is(r, "nnp", &v))
		return (p->nnp = strcmp(v, "1") == 0), 1;
	if (key_is(r, "terminal", &v))
		return (p->terminal = strcmp(v, "1") == 0), 1;
	if (key_is(r, "rows", &v))
		return num_int(v, 0, 0xffff, &i) < 0 ? -2 : (p->rows = (unsigned short)i, 1);
	if (key_is(r, "cols", &v))
		return num_int(v, 0, 0xffff, &i) < 0 ? -2 : (p->cols = (unsigned short)i, 1);
	if (key_is(r, "seccomp_bpf", &v))
		return bpf_program(p, v) < 0 ? -2 : 1;
	if (key_is(r, "seccomp_flags", &v))
		return num_u64(v, 10, &u) < 0 || u > 0xffffffffULL ? -2 : (p->seccomp_flags = (unsigned int)u, 1);
	static const char *const capkeys[] = {"cap_b", "cap_e", "cap_i", "cap_p", "cap_a"};
	uint64_t *caps[] = {&p->cap_b, &p->cap_e, &p->cap_i, &p->cap_p, &p->cap_a};
	for (int k = 0; k < 5; k++)
		if (key_is(r, capkeys[k], &v))
			return num_u64(v, 16, &u) < 0 ? -2 : (*caps[k] = u, 1);
	if (key_is(r, "rlimit", &v)) {
		unsigned long long res, soft, hard;
		char tail;
		if (p->nrlimits >= TSM_OCI_MAX_RLIMITS ||
		    sscanf(v, "%llu %llu %llu%c", &res, &soft, &hard, &tail) != 3 || res > 64 || soft > hard)
			return -2;
		p->rlimits[p->nrlimits++] = (struct tsm_oci_rlimit){(int)res, soft, hard};
		return 1;
	}
	return 0;
}

struct tsm_oci_config *tsm_oci_parse(const char *blob, size_t len)
{
	const char *v, *end = blob + len;
	struct strv argv = {0}, env = {0}, gids = {0}, masked = {0}, ro = {0}, sysctl = {0};
	struct strv hargs = {0}, henv = {0};
	struct tsm_oci_mount *m = NULL;
	struct tsm_oci_device *d = NULL;
	struct tsm_oci_hook *h = NULL;
	int bad = 0; /* -1 ENOMEM, -2 malformed */
	unsigned long long u;
	long long i;

	if (len == 0 || blob[len - 1] != '\0') {
		errno = EINVAL;
		return NULL;
	}
	struct tsm_oci_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		errno = ENOMEM;
		return NULL;
	}
	cfg->console_fd = -1;
	cfg->leader = -1;
	cfg->proc.umask = -1;
	cfg->proc.path_env = DEFAULT_PATH;

/* The hook being read gets its argv/env when the next group starts, or at the end. */
#define CLOSE_HOOK()                                                                                                   \
	do {                                                                                                           \
		if (h) {                                                                                               \
			if (hargs.n == 0 && h->path && strv_push(&hargs, h->path) < 0)                                 \
				bad = -1;                                                                              \
			h->argv = strv_take(&hargs);                                                                   \
			h->envp = strv_take(&henv);                                                                    \
			memset(&hargs, 0, sizeof(hargs));                                                              \
			memset(&henv, 0, sizeof(henv));                                                                \
			if (!h->argv || !h->envp || !h->path)                                                          \
				bad = bad ? bad : -2;                                                                  \
			h = NULL;                                                                                      \
		}                                                                                                      \
	} while (0)

	for (const char *r = blob; r < end && !bad; r += strlen(r) + 1) {
		int pk = process_key(&cfg->proc, r, &argv, &env, &gids);
		if (pk < 0) {
			bad = pk;
			break;
		}
		if (pk)
			continue;
		if (key_is(r, "id", &v))
			bad = (cfg->id = strdup(v)) ? 0 : -1;
		else if (key_is(r, "rootfs", &v))
			bad = (cfg->rootfs = strdup(v)) ? 0 : -1;
		else if (key_is(r, "root_ro", &v))
			cfg->root_ro = strcmp(v, "1") == 0;
		else if (key_is(r, "ns", &v)) {
			int f = ns_flag(v, strlen(v));
			if (!f)
				bad = -2;
			cfg->new_ns |= (unsigned long)f;
		} else if (key_is(r, "ns_path", &v)) {
			const char *colon = strchr(v, ':');
			int f = colon ? ns_flag(v, (size_t)(colon - v)) : 0;
			if (!f || colon[1] != '/' || cfg->njoins >= TSM_OCI_MAX_NS) {
				bad = -2;
				break;
			}
			cfg->joins[cfg->njoins].flag = f;
			if (!(cfg->joins[cfg->njoins++].path = strdup(colon + 1)))
				bad = -1;
		} else if (key_is(r, "uid_map", &v))
			bad = id_map(&cfg->uid_map, v);
		else if (key_is(r, "gid_map", &v))
			bad = id_map(&cfg->gid_map, v);
		else if (key_is(r, "time_mono", &v))
			bad = time_offset(&cfg->time_offsets, "monotonic", v);
		else if (key_is(r, "time_boot", &v))
			bad = time_offset(&cfg->time_offsets, "boottime", v);
		else if (key_is(r, "hostname", &v))
			bad = (cfg->hostname = strdup(v)) ? 0 : -1;
		else if (key_is(r, "domainname", &v))
			bad = (cfg->domainname = strdup(v)) ? 0 : -1;
		else if (key_is(r, "m_dst", &v)) {
			if (!(m = grow(&cfg->mounts, &cfg->nmounts, sizeof(*m)))) {
				bad = -1;
				break;
			}
			bad = (m->dst = strdup(v)) ? 0 : -1;
		} else if (m && key_is(r, "m_type", &v))
			bad = (free(m->type), m->type = strdup(v)) ? 0 : -1;
		else if (m && key_is(r, "m_src", &v))
			bad = (free(m->src), m->src = strdup(v)) ? 0 : -1;
		else if (m && key_is(r, "m_data", &v))
			bad = (free(m->data), m->data = strdup(v)) ? 0 : -1;
		else if (m && key_is(r, "m_flags", &v))
			bad = num_u64(v, 10, &u) < 0 ? -2 : (m->flags = (unsigned long)u, 0);
		else if (m && key_is(r, "m_prop", &v))
			bad = num_u64(v, 10, &u) < 0 || m->nprops >= TSM_OCI_MAX_PROPS ? -2
											  : (m->props[m->nprops++] = (unsigned long)u, 0);
		else if (m && key_is(r, "m_rro", &v))
			m->rro = strcmp(v, "1") == 0;
		else if (key_is(r, "d_path", &v)) {
			if (!(d = grow(&cfg->devices, &cfg->ndevices, sizeof(*d)))) {
				bad = -1;
				break;
			}
			d->type = 'c';
			d->mode = 0666;
			bad = (d->path = strdup(v)) ? 0 : -1;
		} else if (d && key_is(r, "d_type", &v))
			bad = strlen(v) == 1 && strchr("cbup", v[0]) ? (d->type = v[0], 0) : -2;
		else if (d && key_is(r, "d_major", &v))
			bad = num_u64(v, 10, &u) < 0 || u > 0xfff ? -2 : (d->major = (unsigned int)u, 0);
		else if (d && key_is(r, "d_minor", &v))
			bad = num_u64(v, 10, &u) < 0 || u > 0xfffff ? -2 : (d->minor = (unsigned int)u, 0);
		else if (d && key_is(r, "d_mode", &v))
			bad = num_u64(v, 10, &u) < 0 || u > 07777 ? -2 : (d->mode = (unsigned int)u, 0);
		else if (d && key_is(r, "d_uid", &v))
			bad = num_u64(v, 10, &u) < 0 || u > 0xfffffffeULL ? -2 : (d->uid = (unsigned int)u, 0);
		else if (d && key_is(r, "d_gid", &v))
			bad = num_u64(v, 10, &u) < 0 || u > 0xfffffffeULL ? -2 : (d->gid = (unsigned int)u, 0);
		else if (key_is(r, "masked", &v))
			bad = strv_push(&masked, v);
		else if (key_is(r, "ro_path", &v))
			bad = strv_push(&ro, v);
		else if (key_is(r, "sysctl", &v)) {
			/* The key becomes a path under /proc/sys: nothing that climbs. */
			const char *eq = strchr(v, '=');
			const char *dots = strstr(v, "..");
			bad = !eq || eq == v || v[0] == '/' || v[0] == '.' || (dots && dots < eq) ? -2 : strv_push(&sysctl, v);
		}
		else if (key_is(r, "root_prop", &v))
			bad = num_u64(v, 10, &u) < 0 ? -2 : (cfg->root_prop = (unsigned long)u, 0);
		else if (key_is(r, "no_pivot", &v))
			cfg->no_pivot = strcmp(v, "1") == 0;
		else if (key_is(r, "h_kind", &v)) {
			CLOSE_HOOK();
			if (bad || !(h = grow(&cfg->hooks, &cfg->nhooks, sizeof(*h)))) {
				bad = bad ? bad : -1;
				break;
			}
			h->kind = strcmp(v, "cc") == 0 ? TSM_HOOK_CREATE_CONTAINER
				  : strcmp(v, "sc") == 0 ? TSM_HOOK_START_CONTAINER
							 : 0;
			if (!h->kind)
				bad = -2;
		} else if (h && key_is(r, "h_path", &v))
			bad = (free(h->path), h->path = strdup(v)) ? 0 : -1;
		else if (h && key_is(r, "h_arg", &v))
			bad = strv_push(&hargs, v);
		else if (h && key_is(r, "h_env", &v))
			bad = strv_push(&henv, v);
		else if (h && key_is(r, "h_timeout", &v))
			bad = num_int(v, 0, 1 << 30, &i) < 0 ? -2 : (h->timeout = (int)i, 0);
		else if (key_is(r, "fifo", &v))
			bad = (cfg->fifo = strdup(v)) ? 0 : -1;
		else if (key_is(r, "state_file", &v))
			bad = (cfg->state_file = strdup(v)) ? 0 : -1;
		else if (key_is(r, "console_fd", &v))
			bad = num_int(v, 0, 1 << 30, &i) < 0 ? -2 : (cfg->console_fd = (int)i, 0);
		else if (key_is(r, "preserve_fds", &v))
			bad = num_int(v, 0, 1 << 20, &i) < 0 ? -2 : (cfg->preserve_fds = (int)i, 0);
		else if (key_is(r, "leader", &v))
			bad = num_int(v, 1, 1 << 30, &i) < 0 ? -2 : (cfg->leader = (int)i, 0);
		else if (key_is(r, "detach", &v))
			cfg->detach = strcmp(v, "1") == 0;
		else
			bad = -2; /* an unknown key: TS and C disagree, better say so */
	}
	if (!bad)
		CLOSE_HOOK();
#undef CLOSE_HOOK
	strv_free(hargs.v);
	strv_free(henv.v);

	struct tsm_oci_process *p = &cfg->proc;
	p->argv = strv_take(&argv);
	p->envp = strv_take(&env);
	cfg->masked = strv_take(&masked);
	cfg->ro_paths = strv_take(&ro);
	cfg->sysctl = strv_take(&sysctl);
	if (!p->argv || !p->envp || !cfg->masked || !cfg->ro_paths || !cfg->sysctl)
		bad = bad ? bad : -1;
	if (gids.n && !bad) {
		p->gids = calloc((size_t)gids.n, sizeof(gid_t));
		if (!p->gids)
			bad = -1;
		for (int k = 0; p->gids && k < gids.n && !bad; k++) {
			if (num_int(gids.v[k], 0, 0xfffffffeLL, &i) < 0)
				bad = -2;
			p->gids[k] = (gid_t)i;
		}
		p->ngids = gids.n;
	}
	strv_free(gids.v);
	for (char **e = p->envp; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			p->path_env = *e + 5;
	if (!bad && (!p->argv[0] || !p->argv[0][0] || !p->cwd || p->cwd[0] != '/'))
		bad = -2;
	for (int k = 0; !bad && k < cfg->nmounts; k++)
		if (!cfg->mounts[k].type || !cfg->mounts[k].src || cfg->mounts[k].dst[0] != '/')
			bad = -2;
	if (bad) {
		tsm_oci_free(cfg);
		errno = bad == -1 ? ENOMEM : EINVAL;
		return NULL;
	}
	return cfg;
}

void tsm_oci_free(struct tsm_oci_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->id);
	free(cfg->rootfs);
	for (int i = 0; i < cfg->njoins; i++)
		free(cfg->joins[i].path);
	free(cfg->uid_map);
	free(cfg->gid_map);
	free(cfg->time_offsets);
	free(cfg->hostname);
	free(cfg->domainname);
	for (int i = 0; i < cfg->nmounts; i++) {
		free(cfg->mounts[i].dst);
		free(cfg->mounts[i].type);
		free(cfg->mounts[i].src);
		free(cfg->mounts[i].data);
	}
	free(cfg->mounts);
	for (int i = 0; i < cfg->ndevices; i++)
		free(cfg->devices[i].path);
	free(cfg->devices);
	strv_free(cfg->masked);
	strv_free(cfg->ro_paths);
	strv_free(cfg->sysctl);
	for (int i = 0; i < cfg->nhooks; i++) {
		free(cfg->hooks[i].path);
		strv_free(cfg->hooks[i].argv);
		strv_free(cfg->hooks[i].envp);
	}
	free(cfg->hooks);
	free(cfg->fifo);
	free(cfg->state_file);
	struct tsm_oci_process *p = &cfg->proc;
	strv_free(p->argv);
	strv_free(p->envp);
	free(p->cwd);
	free(p->gids);
	free(p->apparmor);
	free(p->bpf);
	free(cfg);
}
