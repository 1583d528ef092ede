/* user.c: the payload's uid, gids and HOME from the container's /etc files. */
#ifndef TSM_USER_H
#define TSM_USER_H

#include <stddef.h>
#include <sys/types.h>

struct tsm_step;
struct tsm_config;

#define TSM_MAX_GROUPS 64

struct tsm_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[TSM_MAX_GROUPS];
	int ngroups;
	char name[256];
	char home[256];
	char what[40]; /* the failing lookup, for tsm_step (which keeps a pointer) */
};

/* Resolves "USER[:GROUP]" inside the current root (call after pivot_root).
 * A missing name fails with ENOENT and step "lookup". */
int tsm_resolve_user(const char *spec, struct tsm_user *u, struct tsm_step *s);
/* setgroups, setresgid, setresuid (after the capability drop). */
int tsm_become_user(const struct tsm_user *u, struct tsm_step *s);
/* envp, or a copy in buf (slots entries) with HOME= from the user added
 * when envp has none, as docker does. */
char *const *tsm_env_with_home(char *const envp[], const struct tsm_user *u, char **buf, size_t slots,
			       char *home_entry, size_t home_size);

/* The payload's pty (-t) becomes the user's, as a login terminal is. */
void tsm_user_owns_tty(const struct tsm_config *cfg, const struct tsm_user *u);

#endif
