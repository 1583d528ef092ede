#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "request.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct counts {
	int lower, argv, env, bind;
	size_t lower_len;
};

int tsm_key_is(const char *rec, const char *key, const char **val)
{
	size_t n = strlen(key);
	if (strncmp(rec, key, n) != 0 || rec[n] != '=')
		return 0;
	*val = rec + n + 1;
	return 1;
}

static char *dup_or_fail(const char *s, int *failed)
{
	char *d = strdup(s);
	if (!d)
		*failed = 1;
	return d;
}

static char *build_journal_header(const char *ident, const char *unit, size_t *len)
{
	/* identifier, unit id, priority 6 (info), level_prefix,
	 * forward_to_syslog, _kmsg, _console. journald takes the unit from the
	 * writer's cgroup; the unit id (honoured from root, as systemd sends it
	 * for its services) is its fallback when the writer exited before
	 * journald looked (busybox httpd logs from a child per request). */
	const char *tail = "\n6\n0\n0\n0\n0\n";
	size_t n = strlen(ident) + 1 + strlen(unit) + strlen(tail);
	char *h = malloc(n + 1);
	if (!h)
		return NULL;
	strcpy(h, ident);
	strcat(h, "\n");
	strcat(h, unit);
	strcat(h, tail);
	*len = n;
	return h;
}

/* Length of "DIR/" when every path is DIR/NAME with the same DIR (not "/"),
 * else 0. */
static size_t common_dir_len(const char **paths, int n)
{
	const char *slash = strrchr(paths[0], '/');
	if (!slash || slash == paths[0])
		return 0;
	size_t len = (size_t)(slash - paths[0]) + 1;
	for (int i = 0; i < n; i++)
		if (strncmp(paths[i], paths[0], len) != 0 || strchr(paths[i] + len, '/') || !paths[i][len])
			return 0;
	return len;
}

struct tsm_config *tsm_config_parse(const char *blob, size_t len)
{
	struct counts c = {0};
	const char *v, *end = blob + len;
	const char *ident = "tsmachine";
	const char *unit = "";
	const char **lowers;
	int failed = 0, ia = 0, ie = 0, il = 0, ib = -1;

	if (len == 0 || blob[len - 1] != '\0') {
		errno = EINVAL;
		return NULL;
	}
	for (const char *r = blob; r < end; r += strlen(r) + 1) {
		if (tsm_key_is(r, "lower", &v)) {
			c.lower++;
			c.lower_len += strlen(v) + 1;
		} else if (tsm_key_is(r, "argv", &v)) {
			c.argv++;
		} else if (tsm_key_is(r, "env", &v)) {
			c.env++;
		} else if (tsm_key_is(r, "bind_src", &v)) {
			c.bind++;
		}
	}

	struct tsm_config *cfg = calloc(1, sizeof(*cfg));
	lowers = calloc((size_t)c.lower + 1, sizeof(char *));
	if (!cfg || !lowers)
		goto nomem;
	cfg->argv = calloc((size_t)c.argv + 1, sizeof(char *));
	cfg->envp = calloc((size_t)c.env + 1, sizeof(char *));
	cfg->lowers = calloc((size_t)c.lower + 1, sizeof(char *));
	cfg->binds = calloc((size_t)c.bind + 1, sizeof(struct tsm_bind));
	if (!cfg->argv || !cfg->envp || !cfg->binds || !cfg->lowers)
		goto nomem;
	cfg->fds[0] = cfg->fds[1] = cfg->fds[2] = -1;
	cfg->leader = -1;
	cfg->path_env = DEFAULT_PATH;
	cfg->seccomp = 1; /* confined unless asked otherwise */
	cfg->mask = 1;

	char *upper = NULL, *work = NULL;
	unsigned long long shm_size = 0;
	for (const char *r = blob; r < end; r += strlen(r) + 1) {
		if (tsm_key_is(r, "lower", &v)) {
			lowers[il] = v;
			cfg->lowers[il++] = dup_or_fail(v, &failed);
		}
		else if (tsm_key_is(r, "argv", &v))
			cfg->argv[ia++] = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "env", &v)) {
			cfg->envp[ie] = dup_or_fail(v, &failed);
			if (cfg->envp[ie] && strncmp(v, "PATH=", 5) == 0)
				cfg->path_env = cfg->envp[ie] + 5;
			ie++;
		} else if (tsm_key_is(r, "bind_src", &v))
			cfg->binds[++ib].src = dup_or_fail(v, &failed);
		else if (ib >= 0 && tsm_key_is(r, "bind_dst", &v))
			cfg->binds[ib].dst = dup_or_fail(v, &failed);
		else if (ib >= 0 && tsm_key_is(r, "bind_ro", &v))
			cfg->binds[ib].ro = strcmp(v, "1") == 0;
		else if (tsm_key_is(r, "name", &v))
			cfg->name = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "hostname", &v))
			cfg->hostname = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "upper", &v))
			upper = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "work", &v))
			work = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "mnt", &v))
			cfg->mountpoint = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "cwd", &v))
			cfg->cwd = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "hostnet", &v))
			cfg->hostnet = strcmp(v, "1") == 0;
		else if (tsm_key_is(r, "stdio", &v))
			cfg->stdio = strcmp(v, "journal") == 0 ? TSM_STDIO_JOURNAL
				     : strcmp(v, "fds") == 0 ? TSM_STDIO_FDS
				     : strcmp(v, "pty") == 0 ? TSM_STDIO_PTY
							     : TSM_STDIO_INHERIT;
		else if (tsm_key_is(r, "rows", &v))
			cfg->pty_rows = (unsigned short)atoi(v);
		else if (tsm_key_is(r, "cols", &v))
			cfg->pty_cols = (unsigned short)atoi(v);
		else if (tsm_key_is(r, "ident", &v))
			ident = v;
		else if (tsm_key_is(r, "unit", &v))
			unit = v;
		else if (tsm_key_is(r, "fd0", &v))
			cfg->fds[0] = atoi(v);
		else if (tsm_key_is(r, "fd1", &v))
			cfg->fds[1] = atoi(v);
		else if (tsm_key_is(r, "fd2", &v))
			cfg->fds[2] = atoi(v);
		else if (tsm_key_is(r, "exit", &v))
			cfg->exit_file = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "monitor", &v))
			cfg->monitor = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "userns_base", &v))
			cfg->userns_base = (unsigned int)strtoul(v, NULL, 10);
		else if (tsm_key_is(r, "userns_size", &v))
			cfg->userns_size = (unsigned int)strtoul(v, NULL, 10);
		else if (tsm_key_is(r, "user", &v))
			cfg->user = dup_or_fail(v, &failed);
		else if (tsm_key_is(r, "seccomp", &v))
			cfg->seccomp = strcmp(v, "0") != 0;
		else if (tsm_key_is(r, "nnp", &v))
			cfg->nnp = strcmp(v, "1") == 0;
		else if (tsm_key_is(r, "caps", &v))
			cfg->caps = strtoull(v, NULL, 16);
		else if (tsm_key_is(r, "mask", &v))
			cfg->mask = strcmp(v, "0") != 0;
		else if (tsm_key_is(r, "shm_size", &v))
			shm_size = strtoull(v, NULL, 10);
		else if (tsm_key_is(r, "leader", &v))
			cfg->leader = atoi(v);
	}
	cfg->nbinds = ib + 1;
	cfg->nenv = ie;
	cfg->nlowers = il;
	if (failed)
		goto nomem_upper;
	if (ia == 0 || !cfg->cwd) {
		free(upper);
		free(work);
		free(lowers);
		tsm_config_free(cfg);
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < cfg->nbinds; i++)
		if (!cfg->binds[i].src || !cfg->binds[i].dst) {
			errno = EINVAL;
			goto fail_upper;
		}

	if (c.lower > 0 && upper && work) {
		/* When every layer sits in one directory (the store's short l/
		 * links), init mounts from there and names them relative to it,
		 * as docker's overlay2 does: the one page of mount options then
		 * holds ~180 layers instead of ~80. */
		size_t skip = common_dir_len(lowers, c.lower);
		if (skip) {
			cfg->lower_dir = strndup(lowers[0], skip - 1);
			if (!cfg->lower_dir)
				goto nomem_upper;
		}
		/* overlay wants the topmost layer first; JS gives bottom first */
		size_t n = strlen("lowerdir=,upperdir=,workdir=") + c.lower_len + strlen(upper) + strlen(work) + 1;
		char *o = malloc(n);
		if (!o)
			goto nomem_upper;
		strcpy(o, "lowerdir=");
		for (int i = c.lower - 1; i >= 0; i--) {
			strcat(o, lowers[i] + skip);
			if (i)
				strcat(o, ":");
		}
		strcat(o, ",upperdir=");
		strcat(o, upper);
		strcat(o, ",workdir=");
		strcat(o, work);
		cfg->overlay_opts = o;
	}
	/* --shm-size, as docker's; without it nspawn's bound for a guest's
	 * /dev/shm. The inode bound stays either way: inodes are kernel memory
	 * that size= does not count. */
	char shm[96];
	if (shm_size)
		snprintf(shm, sizeof(shm), "mode=1777,size=%llu,nr_inodes=400k", shm_size);
	else
		snprintf(shm, sizeof(shm), "mode=1777,size=10%%,nr_inodes=400k");
	cfg->shm_opts = strdup(shm);
	if (!cfg->shm_opts)
		goto nomem_upper;
	if (cfg->stdio == TSM_STDIO_JOURNAL) {
		cfg->journal_header = build_journal_header(ident, unit, &cfg->journal_header_len);
		if (!cfg->journal_header)
			goto nomem_upper;
	}
	if (cfg->monitor) {
		cfg->monitor_argv[0] = cfg->monitor;
		cfg->monitor_argv[1] = NULL; /* init PID, filled in by the child stage */
		cfg->monitor_argv[2] = cfg->exit_file;
		cfg->monitor_argv[3] = NULL;
	}
	free(upper);
	free(work);
	free(lowers);
	return cfg;

nomem_upper:
	errno = ENOMEM;
fail_upper:
	free(upper);
	free(work);
	free(lowers);
	tsm_config_free(cfg);
	return NULL;
nomem:
	free(lowers);
	tsm_config_free(cfg);
	errno = ENOMEM;
	return NULL;
}

void tsm_config_free(struct tsm_config *cfg)
{
	if (!cfg)
		return;
	for (char **p = cfg->argv; p && *p; p++)
		free(*p);
	for (char **p = cfg->envp; p && *p; p++)
		free(*p);
	for (char **p = cfg->lowers; p && *p; p++)
		free(*p);
	free(cfg->lowers);
	for (int i = 0; cfg->binds && i < cfg->nbinds; i++) {
		free(cfg->binds[i].src);
		free(cfg->binds[i].dst);
	}
	free(cfg->argv);
	free(cfg->envp);
	free(cfg->binds);
	free(cfg->name);
	free(cfg->hostname);
	free(cfg->mountpoint);
	free(cfg->overlay_opts);
	free(cfg->shm_opts);
	free(cfg->lower_dir);
	free(cfg->journal_header);
	free(cfg->exit_file);
	free(cfg->monitor);
	free(cfg->cwd);
	free(cfg->user);
	free(cfg);
}
