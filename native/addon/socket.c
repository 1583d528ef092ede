/*
 * A Unix stream socket for the D-Bus client (src/systemd/dbus/socket.ts):
 * connected and written synchronously, read by a thread of its own that
 * hands each chunk to JS through a thread-safe function.
 *
 * Why not node:net: a start connects to the system bus while it forks the
 * stages and sets up the network. With node:net nothing of the handshake
 * happens until the event loop turns (the connect event, then the write),
 * i.e. after that synchronous work, and net and its streams are a large
 * part of a start to load. Here connect() and the write of AUTH, BEGIN and
 * Hello happen at once, so the bus daemon answers while we work, and the
 * reply is waiting when the start needs it.
 *
 *   unixConnect(path: bytes)   -> fd, or -errno (blocking, close-on-exec;
 *                                 a leading NUL: an abstract socket)
 *   sendAll(fd, bytes)         -> 0, or -errno (blocks at most SEND_TIMEOUT_S)
 *   startReader(fd, cb)        -> a reader; cb(chunk) per read, then once
 *                                 cb(null, errno) (0: end of file), after
 *                                 which the fd is closed; cb(undefined)
 *                                 after each TICK_MS without data
 *   refReader(reader, bool)    whether the reader keeps the event loop alive
 *   shutdownSocket(fd)         ends the reader (shutdown(2) wakes its read)
 *
 * The ticks are the connection's clock (src/systemd/dbus/connection.ts):
 * call and job timeouts are checked on them instead of with Node timers,
 * whose first use (timers, their lists and debuglog, compiled on the spot)
 * every start would pay.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "napi-args.h"
#include "socket.h"

/* A bus that stops reading must not hang the CLI forever. */
#define SEND_TIMEOUT_S 30
#define CHUNK 65536
/* Quiet time after which the reader says so (a timeout is at most this late). */
#define TICK_MS 200
/* chunk.err of a tick */
#define TICK (-1)

napi_value js_unix_connect(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	void *path;
	size_t len;
	if (!args(env, info, 1, argv) || !arg_buf(env, argv[0], &path, &len))
		return NULL;
	/* A leading NUL names a Linux abstract socket: all len bytes count. */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (len == 0 || len >= sizeof(sa.sun_path) || (((char *)path)[0] != '\0' && memchr(path, '\0', len)))
		return num(env, len == 0 ? -ENOENT : len >= sizeof(sa.sun_path) ? -ENAMETOOLONG : -EINVAL);
	memcpy(sa.sun_path, path, len);
	socklen_t salen = ((char *)path)[0] == '\0' ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len) : (socklen_t)sizeof(sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return num(env, -errno);
	struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int r;
	do
		r = connect(fd, (struct sockaddr *)&sa, salen);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int err = errno;
		close(fd);
		return num(env, -err);
	}
	return num(env, fd);
}

napi_value js_send_all(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	int32_t fd;
	void *data;
	size_t len;
	if (!args(env, info, 2, argv) || !arg_int(env, argv[0], &fd) || !arg_buf(env, argv[1], &data, &len))
		return NULL;
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return num(env, errno == EAGAIN ? -ETIMEDOUT : -errno);
		p += n;
		len -= (size_t)n;
	}
	return num(env, 0);
}

/* Owned by the thread and by the thread-safe function's finalizer; the last to let go frees it. */
struct reader {
	napi_threadsafe_function tsfn;
	int fd;
	int owners;
};

/* One read's result on its way to JS: data, or the end (len 0) with its errno. */
struct chunk {
	size_t len;
	int err;
	char data[];
};

static void reader_put(struct reader *r)
{
	if (__atomic_sub_fetch(&r->owners, 1, __ATOMIC_ACQ_REL) == 0)
		free(r);
}

/* On the main thread. env is NULL when Node is tearing the environment down. */
static void deliver(napi_env env, napi_value cb, void *context, void *data)
{
	struct reader *r = context;
	struct chunk *c = data;
	if (env && cb) {
		napi_value argv[2], global, ret;
		napi_get_global(env, &global);
		if (c->len > 0) {
			/* A plain Uint8Array, not a Buffer: the D-Bus code uses only
			 * typed-array methods (V8 builtins); Buffer's own subarray,
			 * indexOf, concat are JavaScript of Node's, compiled on first
			 * use (see src/systemd/dbus/bytes.ts). */
			void *data;
			napi_value ab;
			napi_create_arraybuffer(env, c->len, &data, &ab);
			memcpy(data, c->data, c->len);
			napi_create_typedarray(env, napi_uint8_array, c->len, ab, 0, &argv[0]);
			argv[1] = num(env, 0);
		} else if (c->err == TICK) {
			argv[0] = undefined(env);
			argv[1] = num(env, 0);
		} else {
			/* The end: the fd is closed before JS hears of it, so JS
			 * never holds a number that may be reused. */
			close(r->fd);
			napi_get_null(env, &argv[0]);
			argv[1] = num(env, c->err);
		}
		if (napi_call_function(env, global, cb, 2, argv, &ret) == napi_pending_exception) {
			napi_value e;
			napi_get_and_clear_last_exception(env, &e);
			napi_fatal_exception(env, e);
		}
	}
	free(c);
}

static void finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	reader_put(data);
}

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	for (;;) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		int ready;
		do
			ready = poll(&pfd, 1, TICK_MS);
		while (ready < 0 && errno == EINTR);
		int poll_err = ready < 0 ? errno : 0;
		/* A tick carries no data: no room for any. */
		struct chunk *c = malloc(sizeof(*c) + (ready == 0 ? 0 : CHUNK));
		if (!c)
			break; /* the release below still ends the reader, without its last word */
		ssize_t n = 1; /* a tick ends nothing */
		if (ready == 0) {
			c->len = 0;
			c->err = TICK;
		} else if (ready < 0) {
			/* poll's own failure (ENOMEM) ends the reader like a read error */
			n = -1;
			c->len = 0;
			c->err = poll_err;
		} else {
			do
				n = read(r->fd, c->data, CHUNK);
			while (n < 0 && errno == EINTR);
			c->len = n > 0 ? (size_t)n : 0;
			c->err = n < 0 ? errno : 0;
		}
		if (napi_call_threadsafe_function(r->tsfn, c, napi_tsfn_blocking) != napi_ok) {
			free(c); /* closing: Node is going away */
			break;
		}
		if (n <= 0)
			break;
	}
	napi_release_threadsafe_function(r->tsfn, napi_tsfn_release);
	reader_put(r);
	return NULL;
}

napi_value js_start_reader(napi_env env, napi_callback_info info)
{
	napi_value argv[2], name, handle;
	int32_t fd;
	if (!args(env, info, 2, argv) || !arg_int(env, argv[0], &fd))
		return NULL;
	struct reader *r = calloc(1, sizeof(*r));
	if (!r) {
		napi_throw_error(env, NULL, "tsmachine.node: out of memory");
		return NULL;
	}
	r->fd = fd;
	r->owners = 2;
	pthread_t th;
	pthread_attr_t attr;
	napi_create_string_utf8(env, "tsmachine.reader", NAPI_AUTO_LENGTH, &name);
	if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, r, finalize, r, deliver, &r->tsfn) != napi_ok) {
		free(r);
		napi_throw_error(env, NULL, "tsmachine.node: cannot create the reader's callback");
		return NULL;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int err = pthread_create(&th, &attr, read_loop, r);
	pthread_attr_destroy(&attr);
	if (err) {
		r->owners = 1; /* only the finalizer's share is left */
		napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
		napi_throw_error(env, NULL, "tsmachine.node: cannot start the reader thread");
		return NULL;
	}
	napi_create_external(env, r, NULL, NULL, &handle);
	return handle;
}

napi_value js_ref_reader(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	struct reader *r;
	bool on;
	if (!args(env, info, 2, argv) || napi_get_value_external(env, argv[0], (void **)&r) != napi_ok ||
	    napi_get_value_bool(env, argv[1], &on) != napi_ok) {
		napi_throw_type_error(env, NULL, "tsmachine.node: expected a reader and a boolean");
		return NULL;
	}
	if (on)
		napi_ref_threadsafe_function(env, r->tsfn);
	else
		napi_unref_threadsafe_function(env, r->tsfn);
	return undefined(env);
}

napi_value js_shutdown_socket(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &fd))
		return NULL;
	return num(env, shutdown(fd, SHUT_RDWR) < 0 ? -errno : 0);
}
