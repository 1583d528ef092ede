/*
 * The payload's user: "USER[:GROUP]" (names or numbers) resolved against the
 * container's own /etc/passwd and /etc/group, after pivot_root, so the image's
 * files decide (and the container's later edits to them), never the host's.
 * The rules are runc's (libcontainer/user.GetExecUser), which docker and
 * podman users know:
 *   - a name must exist in /etc/passwd; a number need not (then gid 0, HOME /);
 *   - an explicit GROUP is the primary group and there are no supplementary
 *     groups; without one the user's gid from /etc/passwd is primary and the
 *     groups that list the user by name in /etc/group are supplementary.
 * No getpwnam(): NSS may dlopen modules and allocate, and this is a forked
 * copy of a multithreaded process. A fixed buffer and plain reads instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "request.h"
#include "stage.h"
#include "user.h"

/* Reads a file line by line through a fixed buffer. A line longer than the
 * buffer is skipped whole (no passwd or group line is that long in practice). */
struct lines {
	int fd;
	char buf[4096];
	size_t len, pos;
	int eof;
};

/*
 * The container owns these files: a FIFO at /etc/passwd would block the
 * open (and an exec would hang with the admin waiting on it), a device
 * could be anything. O_NONBLOCK opens a FIFO without waiting for a writer;
 * then only a regular file is read. Returns the fd; -1 (errno ENOENT)
 * when there is no such file (numeric ids need none); -2 with s filled
 * for any other failure, errno EINVAL meaning "not a regular file".
 */
static int lines_open(struct lines *l, const char *path, struct tsm_step *s)
{
	struct stat st;
	l->len = l->pos = 0;
	l->eof = 0;
	l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (l->fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			errno = ENOENT;
			return -1;
		}
		tsm_step_failed(s, "open", "user database", path);
		return -2;
	}
	int bad = fstat(l->fd, &st) < 0 ? errno : S_ISREG(st.st_mode) ? 0 : EINVAL;
	if (bad) {
		close(l->fd);
		l->fd = -1;
		errno = bad;
		tsm_step_failed(s, bad == EINVAL ? "lookup" : "fstat", "user database", path);
		return -2;
	}
	return l->fd;
}

/* Returns the next line (NUL-terminated, without '\n'), or NULL at the end. */
static char *lines_next(struct lines *l)
{
	int skipping = 0;
	for (;;) {
		char *start = l->buf + l->pos;
		char *nl = memchr(start, '\n', l->len - l->pos);
		if (nl) {
			*nl = '\0';
			l->pos = (size_t)(nl - l->buf) + 1;
			if (skipping) {
				skipping = 0;
				continue;
			}
			return start;
		}
		if (l->eof) {
			if (l->pos == l->len || skipping)
				return NULL;
			/* the last line without a newline: there is room, the buffer
			 * was compacted before the read that hit EOF */
			l->buf[l->len] = '\0';
			start = l->buf + l->pos;
			l->pos = l->len;
			return start;
		}
		/* compact, then fill */
		memmove(l->buf, start, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
		if (l->len == sizeof(l->buf) - 1) { /* no newline in a full buffer */
			l->len = 0;
			skipping = 1;
		}
		ssize_t n;
		do
			n = read(l->fd, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return NULL;
		if (n == 0)
			l->eof = 1;
		l->len += (size_t)n;
	}
}

/* Splits a line at ':' into at most max fields; returns how many. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* A decimal id below 2^32-1 (the kernel's "no id"), or -1. */
static long parse_id(const char *s)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= 0xffffffffUL)
			return -1;
	}
	return (long)v;
}

static int lookup_failed(struct tsm_step *s, char *what, size_t size, const char *kind, const char *name,
			 const char *path)
{
	/* "user 'bob'" is what the error names; ENOENT says it is missing */
	tsm_strlcpy(what, kind, size);
	size_t n = strlen(what);
	tsm_strlcpy(what + n, " '", size - n);
	n = strlen(what);
	tsm_strlcpy(what + n, name, size - n);
	n = strlen(what);
	tsm_strlcpy(what + n, "'", size - n);
	errno = ENOENT;
	return tsm_step_failed(s, "lookup", what, path);
}

int tsm_resolve_user(const char *spec, struct tsm_user *u, struct tsm_step *s)
{
	char user[256], group[256];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (ulen >= sizeof(user) || (colon && strlen(colon + 1) >= sizeof(group))) {
		errno = ENAMETOOLONG;
		return tsm_step_failed(s, "lookup", "user", spec);
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	tsm_strlcpy(group, colon ? colon + 1 : "", sizeof(group));

	memset(u, 0, sizeof(*u));
	tsm_strlcpy(u->home, "/", sizeof(u->home));
	long uid = parse_id(user);
	int matched_name = 0;
	struct lines l;
	char *f[7], *line;

	int opened = lines_open(&l, "/etc/passwd", s);
	if (opened == -2)
		return -1;
	if (opened >= 0) {
		while ((line = lines_next(&l))) {
			/* name:password:uid:gid[:gecos:home:shell]; as runc, the
			 * trailing fields may be missing */
			int nf = split(line, f, 7);
			if (nf < 4)
				continue;
			int hit = uid >= 0 ? parse_id(f[2]) == uid : strcmp(f[0], user) == 0;
			if (!hit || parse_id(f[2]) < 0 || parse_id(f[3]) < 0)
				continue;
			u->uid = (uid_t)parse_id(f[2]);
			u->gid = (gid_t)parse_id(f[3]);
			tsm_strlcpy(u->name, f[0], sizeof(u->name));
			tsm_strlcpy(u->home, nf > 5 && f[5][0] ? f[5] : "/", sizeof(u->home));
			matched_name = 1;
			break;
		}
		close(l.fd);
	}
	if (!matched_name) {
		if (uid < 0)
			return lookup_failed(s, u->what, sizeof(u->what), "user", user, "/etc/passwd");
		u->uid = (uid_t)uid;
	}

	long gid = group[0] ? parse_id(group) : -1;
	if (gid >= 0) {
		u->gid = (gid_t)gid;
		return 0;
	}
	if (!group[0] && !matched_name)
		return 0;
	int found_group = 0;
	opened = lines_open(&l, "/etc/group", s);
	if (opened == -2)
		return -1;
	if (opened >= 0) {
		while ((line = lines_next(&l))) {
			if (split(line, f, 4) < 4 || parse_id(f[2]) < 0)
				continue;
			if (group[0]) {
				if (strcmp(f[0], group) == 0) {
					u->gid = (gid_t)parse_id(f[2]);
					found_group = 1;
					break;
				}
				continue;
			}
			/* implicit: every group that lists the user is supplementary */
			for (char *m = f[3]; *m && u->ngroups < TSM_MAX_GROUPS;) {
				char *comma = strchr(m, ',');
				size_t n = comma ? (size_t)(comma - m) : strlen(m);
				if (n == strlen(u->name) && strncmp(m, u->name, n) == 0) {
					u->groups[u->ngroups++] = (gid_t)parse_id(f[2]);
					break;
				}
				if (!comma)
					break;
				m = comma + 1;
			}
		}
		close(l.fd);
	}
	if (group[0] && !found_group)
		return lookup_failed(s, u->what, sizeof(u->what), "group", group, "/etc/group");
	return 0;
}

int tsm_become_user(const struct tsm_user *u, struct tsm_step *s)
{
	/* Raw syscalls: glibc's wrappers broadcast the change to every thread
	 * it knows of (SIGSETXID), and the thread list this copy inherited names
	 * Node's threads, which do not exist here. The kernel's credentials are
	 * per thread, and we are the only one.
	 * Groups before ids: after setresuid() we may no longer change them.
	 * The capset before us kept CAP_SETGID and CAP_SETUID; leaving uid 0
	 * then empties the permitted set, as for docker's users. */
	if (syscall(SYS_setgroups, (size_t)u->ngroups, u->groups) < 0)
		return tsm_step_failed(s, "setgroups", "", "");
	if (syscall(SYS_setresgid, u->gid, u->gid, u->gid) < 0)
		return tsm_step_failed(s, "setresgid", "", "");
	if (syscall(SYS_setresuid, u->uid, u->uid, u->uid) < 0)
		return tsm_step_failed(s, "setresuid", "", "");
	/* A change of ids sets dumpable to fs.suid_dumpable, which a host may
	 * have at 1: until execve we are still a copy of Node, which nothing in
	 * the container may ptrace or read through /proc/PID (see spawn.c). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return tsm_step_failed(s, "prctl", "PR_SET_DUMPABLE", "");
	return 0;
}

char *const *tsm_env_with_home(char *const envp[], const struct tsm_user *u, char **buf, size_t slots,
			       char *home_entry, size_t home_size)
{
	size_t n = 0;
	for (; envp[n]; n++)
		if (strncmp(envp[n], "HOME=", 5) == 0)
			return envp;
	if (n + 2 > slots)
		return envp;
	memcpy(buf, envp, n * sizeof(char *));
	tsm_strlcpy(home_entry, "HOME=", home_size);
	tsm_strlcpy(home_entry + 5, u->home, home_size - 5);
	buf[n] = home_entry;
	buf[n + 1] = NULL;
	return buf;
}

void tsm_user_owns_tty(const struct tsm_config *cfg, const struct tsm_user *u)
{
	/* As runc's fixStdioPermissions: a terminal the user cannot chmod or
	 * reopen (/proc/self/fd/0) surprises programs such as ssh-agent or
	 * script. Best effort: the open fds work either way. */
	if (cfg->stdio == TSM_STDIO_PTY && fchown(0, u->uid, (gid_t)-1) < 0)
		return;
}
