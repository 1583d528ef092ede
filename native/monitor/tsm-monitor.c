/*
 * tsm-monitor INIT_PID EXIT_FILE
 *
 * The resident per-container process: the child stage execs into it right
 * after cloning init, so it is init's parent. It waits for init, records the
 * exit status (decimal; 128+signal when killed) atomically, and exits with
 * that status. It stays in the container's scope beside init, one per
 * container, so it is as small as it can be: no libc where raw syscalls are
 * written (sys-raw.h), a static glibc elsewhere (sys-libc.h).
 */
#ifdef MONITOR_LIBC
#include "sys-libc.h"
#else
#include "sys-raw.h"
#endif

static unsigned long len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static unsigned long fmt_code(char *buf, int code)
{
	char tmp[12];
	unsigned long i = 0, n = 0;
	unsigned int u = (unsigned int)code;
	do
		tmp[i++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	while (i)
		buf[n++] = tmp[--i];
	buf[n++] = '\n';
	return n;
}

static void record(const char *path, int code)
{
	static const char suffix[] = ".tmp";
	char tmp[4096], text[16];
	unsigned long plen = len(path);
	if (plen + sizeof(suffix) > sizeof(tmp))
		return;
	for (unsigned long i = 0; i < plen; i++)
		tmp[i] = path[i];
	for (unsigned long i = 0; i < sizeof(suffix); i++)
		tmp[plen + i] = suffix[i];
	unsigned long n = fmt_code(text, code);
	int fd = m_open_trunc(tmp);
	if (fd < 0)
		return;
	/* Readers see either no file or the whole number, never half of it. */
	if (m_write(fd, text, n) == (long)n && m_fsync(fd) == 0 && m_close(fd) == 0)
		m_rename(tmp, path);
	else
		m_unlink(tmp);
}

int main(int argc, char **argv)
{
	int status, code, init = 0;

	if (argc != 3)
		return 125;
	for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
		init = init * 10 + (*p - '0');
	/* Stopping the scope sends SIGTERM to every process in it; we must
	 * outlive init to record how it ended (the final SIGKILL still works).
	 * Blocked rather than ignored: nothing to undo, no handler ABI. */
	m_block_stop_signals();

	if (m_wait(init, &status) < 0)
		code = 125;
	else if ((status & 0x7f) == 0)
		code = (status >> 8) & 0xff; /* exited */
	else
		code = 128 + (status & 0x7f); /* killed */
	record(argv[2], code);
	return code;
}
