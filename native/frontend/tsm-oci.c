/*
 * tsm-oci: the tsmachine-oci command's front end.
 *
 * Engines run `start`, `kill` and `delete` once per container, and each was a
 * Node start, while their happy paths need neither systemd nor anything of
 * Node's: release the parked init through exec.fifo, signal the init, remove
 * the directory of a container whose scope systemd has collected already.
 * This does those three from ROOT/ID/fast (written by create once it
 * succeeded) and execs the Node program, with the original arguments, for
 * everything else: other verbs, flags it does not know, and any condition
 * that is not the happy path. Node then decides and reports, so every error
 * message stays in one place and this file never prints one of its own
 * (except when Node itself cannot be run).
 *
 * No allocation: fixed buffers, one static binary.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int g_argc;
static char **g_argv;

/* The package's layout, for a copy of this binary outside it (/usr/bin/tsmachine-oci). */
#define PACKAGED_ENTRY "/usr/lib/tsmachine/bin/tsmachine-oci.cjs"
#define NODE "/usr/bin/node"

/*
 * Hands the whole command to Node. The entry is found from where this binary
 * really is (checkout: native/build/ → bin/; package: the same under
 * /usr/lib/tsmachine), and keeps its file name: bin/tsmachine.cjs picks its
 * bundle by it.
 */
static _Noreturn void node(void)
{
	char entry[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", entry, sizeof entry - 32);
	int found = 0;
	if (n > 0) {
		entry[n] = 0;
		/* Two levels up from the binary's own path, without "..": Node's __dirname stays tidy. */
		for (int up = 0; up < 3; up++) {
			char *slash = strrchr(entry, '/');
			if (slash == NULL)
				break;
			*slash = 0;
			if (up == 2) {
				strcpy(slash, "/bin/tsmachine-oci.cjs");
				found = access(entry, R_OK) == 0;
			}
		}
	}
	if (!found)
		strcpy(entry, PACKAGED_ENTRY);

	char *args[g_argc + 8];
	int k = 0;
	char head[2] = {0, 0};
	int fd = open(entry, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, head, 2) != 2)
			head[0] = 0;
		close(fd);
	}
	const char *path;
	if (head[0] == '#' && head[1] == '!') {
		/* The checkout's launcher: its shebang gives node its flags. */
		path = entry;
		args[k++] = entry;
	} else {
		/* The package's copy has no shebang (it would pick any node on PATH): the old shell shim's line. */
		path = NODE;
		args[k++] = NODE;
		args[k++] = "--jitless";
		args[k++] = "--no-expose-wasm";
		args[k++] = "--preserve-symlinks-main";
		args[k++] = entry;
	}
	for (int i = 1; i < g_argc; i++)
		args[k++] = g_argv[i];
	args[k] = NULL;
	execve(path, args, environ);
	dprintf(2, "tsmachine-oci: cannot run %s: %s\n", path, strerror(errno));
	exit(1);
}

/* --- what create left: ROOT/ID/fast ------------------------------------ */

struct fast {
	long pid;
	unsigned long long start;
	char cgroup[PATH_MAX];
	int poststart, poststop;
};

static int parse_ull(const char *s, unsigned long long *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Every key is needed: a file without one is not of this contract's version. */
static int read_fast(const char *dir, struct fast *f)
{
	char path[PATH_MAX], buf[PATH_MAX + 256];
	snprintf(path, sizeof path, "%s/fast", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || n == (ssize_t)sizeof buf - 1)
		return -1;
	buf[n] = 0;
	int seen = 0;
	unsigned long long v;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq++ = 0;
		if (strcmp(line, "cgroup") == 0) {
			if (*eq != '/' || strlen(eq) >= sizeof f->cgroup)
				return -1;
			strcpy(f->cgroup, eq);
			seen |= 1;
			continue;
		}
		if (parse_ull(eq, &v))
			continue;
		if (strcmp(line, "pid") == 0 && v > 0 && v <= INT_MAX)
			f->pid = (long)v, seen |= 2;
		else if (strcmp(line, "start") == 0)
			f->start = v, seen |= 4;
		else if (strcmp(line, "poststart") == 0 && v <= 1)
			f->poststart = (int)v, seen |= 8;
		else if (strcmp(line, "poststop") == 0 && v <= 1)
			f->poststop = (int)v, seen |= 16;
	}
	return seen == 31 ? 0 : -1;
}

/*
 * Still the init create made (a reused PID has another start time) and not
 * ended (a zombie has): status.ts's initAlive.
 */
static int init_alive(const struct fast *f)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", f->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm (field 2) may hold spaces and parens: fields count from the last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return 0;
	p += 2;
	char state = *p;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return 0;
		p++;
	}
	char *end;
	unsigned long long start = strtoull(p, &end, 10);
	return start == f->start && state != 'Z' && state != 'X';
}

/* --- small things -------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&t, NULL);
}

/* store.ts's checkId: the ID names a directory, so nothing that could climb out. */
static int valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_+-.", *c))
			return 0;
	return 1;
}

/*
 * The lock start and delete take in Node (a separate open conflicts too).
 * Polled with a limit as Node's is: a holder that never lets go is Node's
 * to report. O_CLOEXEC: the lock must not follow into Node when we fall back.
 */
static int take_lock(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/lock", dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	long long deadline = now_ms() + 30000;
	for (int delay = 1; flock(fd, LOCK_EX | LOCK_NB) != 0; delay = delay * 2 > 50 ? 50 : delay * 2) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || now_ms() > deadline) {
			close(fd);
			return -1;
		}
		sleep_ms(delay);
	}
	return fd;
}

/* --- the verbs ----------------------------------------------------------- */

/*
 * start.ts's releaseInit: the read end opened non-blocking needs no writer
 * and releases init's blocking open for writing; then EAGAIN means "opened,
 * not yet written", EOF "not yet opened". Init dead or never coming: Node.
 */
static int release_init(const char *fifo, const struct fast *f)
{
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long long deadline = now_ms() + 10000;
	for (int delay = 1;; delay = delay * 2 > 20 ? 20 : delay * 2) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto fail;
		if (!init_alive(f) || now_ms() > deadline)
			goto fail;
		sleep_ms(delay);
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static int verb_start(const char *dir)
{
	char fifo[PATH_MAX];
	struct fast f;
	snprintf(fifo, sizeof fifo, "%s/exec.fifo", dir);
	if (read_fast(dir, &f) || f.poststart || !init_alive(&f) || access(fifo, F_OK))
		return -1;
	int lock = take_lock(dir);
	if (lock < 0)
		return -1;
	/* Another start may have won while we waited. */
	if (!init_alive(&f) || access(fifo, F_OK) || release_init(fifo, &f) || unlink(fifo)) {
		close(lock);
		return -1;
	}
	return 0;
}

/* Node's os.constants.signals for Linux, by the names runc and kill(1) take. */
static const struct {
	const char *name;
	int sig;
} SIGNALS[] = {
	{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP},
	{"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL},
	{"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
	{"TERM", SIGTERM}, {"CHLD", SIGCHLD}, {"STKFLT", SIGSTKFLT}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"POLL", SIGPOLL}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
};

/* signal.ts's parseSignal; anything it would refuse is Node's to refuse. */
static int parse_signal(const char *s)
{
	unsigned long long n;
	if (s == NULL)
		return SIGTERM;
	if (parse_ull(s, &n) == 0)
		return n >= 1 && n <= 64 ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++)
		if (strcasecmp(s, SIGNALS[i].name) == 0)
			return SIGNALS[i].sig;
	return -1;
}

static int verb_kill(const char *dir, const char *signame)
{
	struct fast f;
	int sig = parse_signal(signame);
	if (sig < 0 || read_fast(dir, &f) || !init_alive(&f))
		return -1;
	return kill((pid_t)f.pid, sig);
}

/*
 * A scope is collected by systemd once its cgroup is empty, which is a moment
 * after the init died: the engine's delete often comes first. An empty
 * cgroup ("populated 0") is worth waiting a little for, as that costs less
 * than a Node start; one with processes left is Node's to kill. Returns
 * whether the directory is gone.
 */
static int scope_collected(const char *cgroup)
{
	char events[PATH_MAX + 32], buf[256];
	snprintf(events, sizeof events, "%s/cgroup.events", cgroup);
	long long deadline = now_ms() + 300;
	for (int delay = 1;; delay = delay * 2 > 20 ? 20 : delay * 2) {
		int fd = open(events, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT && access(cgroup, F_OK) != 0 && errno == ENOENT;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			return 0;
		buf[n] = 0;
		if (strncmp(buf, "populated 0\n", 12) != 0 && strstr(buf, "\npopulated 0\n") == NULL)
			return 0;
		if (now_ms() > deadline)
			return 0;
		sleep_ms(delay);
	}
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * leftover.ts's case of a stopped container whose scope systemd collected:
 * nothing left but the directory. Anything else (hooks, a live init, a scope
 * with processes, or one not collected soon) needs systemd or a hook runner: Node.
 */
static int verb_delete(const char *dir)
{
	struct fast f;
	struct stat st;
	if (read_fast(dir, &f) || f.poststop || init_alive(&f) || !scope_collected(f.cgroup))
		return -1;
	int lock = take_lock(dir);
	if (lock < 0)
		return -1;
	if (init_alive(&f) || stat(f.cgroup, &st) == 0 || errno != ENOENT ||
	    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
		close(lock);
		return -1;
	}
	return 0;
}

/* --- command line -------------------------------------------------------- */

/*
 * globals.ts's parseGlobals, for the flags that change nothing on a happy
 * path (logging only happens on errors). --version and --help, and all that
 * globals.ts would refuse, go to Node. Returns the verb's index, or -1.
 */
static int parse_globals(int argc, char **argv, const char **root)
{
	static const char *const VALUES[] = {"root", "log", "log-format", "log-level", "rootless"};
	static const char *const FLAGS[] = {"debug", "systemd-cgroup"};
	int i = 1;
	for (; i < argc; i++) {
		char *a = argv[i];
		if (a[0] != '-' || strcmp(a, "-") == 0)
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		/* runc (urfave/cli) takes -root as well as --root. */
		const char *body = a + (a[1] == '-' ? 2 : 1);
		const char *eq = strchr(body, '=');
		size_t klen = eq ? (size_t)(eq - body) : strlen(body);
		int known = 0;
		for (size_t j = 0; j < sizeof FLAGS / sizeof FLAGS[0]; j++)
			if (strlen(FLAGS[j]) == klen && strncmp(body, FLAGS[j], klen) == 0)
				known = 1;
		if (known) {
			if (eq && strcmp(eq + 1, "true") && strcmp(eq + 1, "false"))
				return -1;
			continue;
		}
		for (size_t j = 0; j < sizeof VALUES / sizeof VALUES[0]; j++)
			if (strlen(VALUES[j]) == klen && strncmp(body, VALUES[j], klen) == 0)
				known = 1;
		if (!known)
			return -1;
		const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (value == NULL)
			return -1;
		if (klen == 4 && strncmp(body, "root", 4) == 0)
			*root = value;
	}
	return i < argc ? i : -1;
}

int main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	const char *root = "/run/tsmachine-oci";
	int v = parse_globals(argc, argv, &root);
	if (v < 0 || *root == 0)
		node();

	/* The verb's own arguments: only the plain forms; options of any other spelling are Node's. */
	const char *verb = argv[v], *pos[2] = {NULL, NULL};
	int npos = 0, force = 0;
	for (int i = v + 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (strcmp(verb, "delete") == 0 && (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) && !force)
				force = 1;
			else
				node();
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			node();
		}
	}
	if (npos == 0 || !valid_id(pos[0]))
		node();

	/* Room left for "/exec.fifo" and the like in the verbs' own buffers. */
	char dir[PATH_MAX - 32];
	if ((size_t)snprintf(dir, sizeof dir, "%s/%s", root, pos[0]) >= sizeof dir)
		node();
	int r = -1;
	if (strcmp(verb, "start") == 0 && npos == 1)
		r = verb_start(dir);
	else if (strcmp(verb, "kill") == 0)
		r = verb_kill(dir, pos[1]);
	else if (strcmp(verb, "delete") == 0 && npos == 1)
		r = verb_delete(dir);
	if (r != 0)
		node();
	return 0;
}
