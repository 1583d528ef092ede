/*
 * -t: a pseudo-terminal for the payload, allocated in the container's own
 * devpts instance (init.c mounts /dev/pts with newinstance), as nspawn and
 * runc do: `tty` inside then names /dev/pts/N of the container, and the
 * host's devpts never sees it. Called after pivot_root (init) or after
 * setns into the mount namespace (exec), when /dev/pts is the container's.
 * The master goes to the parent (Node) over the sync socket; the CLI relays
 * it to its own terminal. Async-signal-safe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "stage.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define PTMX "/dev/pts/ptmx"

/* The slave of master: TIOCGPTPEER (4.13+) opens it without a path lookup,
 * so nothing in the container can swap /dev/pts/N under us. */
static int open_slave(int master, int by_path, struct tsm_step *s)
{
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave >= 0 || errno != EINVAL || !by_path)
		return slave >= 0 ? slave : tsm_step_failed(s, "ioctl", "TIOCGPTPEER", PTMX);
	unsigned int n;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return tsm_step_failed(s, "ioctl", "TIOCGPTN", PTMX);
	char path[32], num[12];
	strcpy(path, "/dev/pts/");
	strcat(path, tsm_itoa((int)n, num));
	slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	return slave >= 0 ? slave : tsm_step_failed(s, "open", "pty slave", "/dev/pts/N");
}

int tsm_pty_slave(int master, int by_path, unsigned short rows, unsigned short cols, struct tsm_step *s)
{
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0) /* unlockpt() */
		return tsm_step_failed(s, "ioctl", "TIOCSPTLCK", PTMX);
	int slave = open_slave(master, by_path, s);
	if (slave < 0)
		return -1;
	/* Set before exec, so the payload's first look at its size is right. */
	if (rows && cols) {
		struct winsize ws;
		memset(&ws, 0, sizeof(ws));
		ws.ws_row = rows;
		ws.ws_col = cols;
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return tsm_step_failed(s, "ioctl", "TIOCSWINSZ", "");
	}
	return slave;
}

int tsm_pty_stdio(int slave, struct tsm_step *s)
{
	/* ^C typed into the master arrives as a byte and the line discipline
	 * turns it into SIGINT for the payload's foreground process group. */
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return tsm_step_failed(s, "ioctl", "TIOCSCTTY", "");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return tsm_step_failed(s, "dup2", "pty slave", "");
	if (slave > 2)
		close(slave);
	return 0;
}

int tsm_pty_setup(const struct tsm_config *cfg, int syncfd, struct tsm_step *s)
{
	struct tsm_sync_msg msg;

	int master = open(PTMX, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return tsm_step_failed(s, "open", "ptmx", PTMX);
	int slave = tsm_pty_slave(master, 1, cfg->pty_rows, cfg->pty_cols, s);
	if (slave < 0)
		return -1;
	memset(&msg, 0, sizeof(msg));
	msg.type = SYNC_PTY;
	if (tsm_send_fd(syncfd, &msg, master) < 0)
		return tsm_step_failed(s, "sendmsg", "pty master", "");
	close(master);

	/* A new session whose controlling terminal is the slave: the CLI's raw
	 * terminal relays ^C into it. */
	if (setsid() < 0)
		return tsm_step_failed(s, "setsid", "", "");
	return tsm_pty_stdio(slave, s);
}
