/*
 * Small syscalls the runtime needs that Node does not offer. They return
 * -errno instead of setting errno: nothing between the call and JS can
 * clobber it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "api.h"

/* Exit code, 128+signal when killed, or -errno. Called on a libuv pool
 * thread (the binding's async work) so Node's event loop keeps running while it blocks. */
int tsm_wait(int pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET
 * (a path, or "@name" for the abstract namespace). */
int tsm_notify(const char *socket_path, const char *state)
{
	struct sockaddr_un sa;
	size_t plen = strlen(socket_path);
	if (plen == 0 || plen >= sizeof(sa.sun_path))
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, socket_path, plen);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (socket_path[0] == '@' ? 0 : 1));
	ssize_t n = sendto(s, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, alen);
	int err = errno;
	close(s);
	return n < 0 ? -err : 0;
}

/* TIOCSWINSZ on a pty master (the CLI forwards its terminal's size on
 * SIGWINCH; the kernel then signals the payload's foreground group). */
int tsm_set_winsize(int fd, int rows, int cols)
{
	struct winsize ws;
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* rm -r without crossing into other file systems (a mount left on a
 * container's mountpoint stays, and so does the directory under it). Node's
 * fs.rmSync walks in JavaScript, tens of times slower even for a
 * container's dozen files. A missing path is success. */
static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_NS)
		return errno == ENOENT ? 0 : errno;
	if (remove(path) < 0 && errno != ENOENT)
		return errno;
	return 0;
}

int tsm_remove_tree(const char *path)
{
	int r = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (r < 0)
		return errno == ENOENT ? 0 : -errno;
	return -r;
}

int tsm_dlsyms(const char *lib, const struct tsm_dlsym *syms, size_t n)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 0;
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f)
			return 0;
		*(void **)syms[i].slot = f;
	}
	return 1;
}
