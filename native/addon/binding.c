/*
 * tsmachine.node: the Node-API binding of the native library (native/src/).
 *
 * Why our own binding and not koffi (which the first version used):
 * require('koffi') cost ten times what loading this module does (its C++
 * runtime and type registry coming up; docs/decisions.md), and every
 * runtime verb needs native code at least for the per-name flock, so that
 * was paid by each start, stop and exec. Node-API is ABI-stable, so one build loads in
 * Node 18, 20 and 22. The surface is small and fixed: the stages' entry
 * points, a few syscalls Node lacks, rtnetlink and libnftables.
 *
 * Conventions (src/kernel/addon.ts types them): a number >= 0 is success, a
 * negative number is -errno captured right after the call; spawn, exec and
 * release return the tsm_result as an object. Argument mistakes throw a
 * TypeError (they are programming errors, not runtime conditions).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/filter.h>
#include "../src/api.h"
#include "../src/netlink.h"
#include "../src/oci.h"
#include "napi-args.h"
#include "socket.h"

/* ---- results ----------------------------------------------------------- */


static void set_num(napi_env env, napi_value o, const char *key, int64_t n)
{
	napi_set_named_property(env, o, key, num(env, n));
}

/* A fixed char array of tsm_result (always terminated, but bounded anyway). */
static void set_str(napi_env env, napi_value o, const char *key, const char *s, size_t cap)
{
	napi_value v = NULL;
	napi_create_string_utf8(env, s, strnlen(s, cap), &v);
	napi_set_named_property(env, o, key, v);
}

static napi_value result(napi_env env, int rc, const struct tsm_result *r)
{
	napi_value o = NULL;
	if (napi_create_object(env, &o) != napi_ok)
		return NULL;
	set_num(env, o, "rc", rc);
	set_num(env, o, "pid", r->pid);
	set_num(env, o, "stagePid", r->stage_pid);
	set_num(env, o, "syncFd", r->sync_fd);
	set_num(env, o, "ptyFd", r->pty_fd);
	set_num(env, o, "err", r->err);
	set_str(env, o, "stage", r->stage, sizeof(r->stage));
	set_str(env, o, "syscall", r->syscall, sizeof(r->syscall));
	set_str(env, o, "what", r->what, sizeof(r->what));
	set_str(env, o, "path", r->path, sizeof(r->path));
	return o;
}

/* ---- the stages ------------------------------------------------------- */

typedef int (*blob_fn)(const char *, size_t, struct tsm_result *);

static napi_value call_blob(napi_env env, napi_callback_info info, blob_fn fn)
{
	napi_value argv[1];
	void *data;
	size_t len;
	struct tsm_result r;
	if (!args(env, info, 1, argv) || !arg_buf(env, argv[0], &data, &len))
		return NULL;
	int rc = fn(data, len, &r);
	return result(env, rc, &r);
}

static napi_value js_spawn(napi_env env, napi_callback_info info)
{
	return call_blob(env, info, tsm_spawn);
}

static napi_value js_exec(napi_env env, napi_callback_info info)
{
	return call_blob(env, info, tsm_exec);
}

static napi_value js_release(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	struct tsm_result r;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &fd))
		return NULL;
	int rc = tsm_release(fd, &r);
	return result(env, rc, &r);
}

/* buildRootfs(syncFd): 0 or -errno; does not wait. */
static napi_value js_build_rootfs(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &fd))
		return NULL;
	return num(env, tsm_build_rootfs(fd));
}

/* reportedFailure(syncFd): the failure init already reported, or null. */
static napi_value js_reported_failure(napi_env env, napi_callback_info info)
{
	napi_value argv[1], nul;
	int32_t fd;
	struct tsm_result r;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &fd))
		return NULL;
	if (tsm_reported_failure(fd, &r))
		return result(env, -1, &r);
	napi_get_null(env, &nul);
	return nul;
}

/* abort(pid, stagePid, syncFd) and execAbort(...): undo a parked spawn or exec. */
static napi_value call_abort(napi_env env, napi_callback_info info, void (*fn)(int, int, int))
{
	napi_value argv[3];
	int32_t a, b, c;
	if (!args(env, info, 3, argv) || !arg_int(env, argv[0], &a) || !arg_int(env, argv[1], &b) ||
	    !arg_int(env, argv[2], &c))
		return NULL;
	fn(a, b, c);
	return undefined(env);
}

static napi_value js_abort(napi_env env, napi_callback_info info)
{
	return call_abort(env, info, tsm_abort);
}

static napi_value js_exec_abort(napi_env env, napi_callback_info info)
{
	return call_abort(env, info, tsm_exec_abort);
}

/* wait(pid): a Promise of the exit status (128+signal) or -errno. waitpid
 * blocks on a libuv pool thread, never on the event loop. */
struct wait_work {
	napi_async_work work;
	napi_deferred deferred;
	int pid;
	int status;
};

static void wait_execute(napi_env env, void *data)
{
	(void)env;
	struct wait_work *w = data;
	w->status = tsm_wait(w->pid);
}

static void wait_complete(napi_env env, napi_status status, void *data)
{
	struct wait_work *w = data;
	napi_resolve_deferred(env, w->deferred, num(env, status == napi_ok ? w->status : -ECANCELED));
	napi_delete_async_work(env, w->work);
	free(w);
}

static napi_value js_wait(napi_env env, napi_callback_info info)
{
	napi_value argv[1], promise, name;
	int32_t pid;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &pid))
		return NULL;
	struct wait_work *w = calloc(1, sizeof(*w));
	if (!w) {
		napi_throw_error(env, NULL, "tsmachine.node: out of memory");
		return NULL;
	}
	w->pid = pid;
	if (napi_create_promise(env, &w->deferred, &promise) != napi_ok ||
	    napi_create_string_utf8(env, "tsmachine.wait", NAPI_AUTO_LENGTH, &name) != napi_ok ||
	    napi_create_async_work(env, NULL, name, wait_execute, wait_complete, w, &w->work) != napi_ok ||
	    napi_queue_async_work(env, w->work) != napi_ok) {
		free(w);
		napi_throw_error(env, NULL, "tsmachine.node: cannot queue wait");
		return NULL;
	}
	return promise;
}

/* ---- tsmachine-oci (oci-*.c) ------------------------------------------ */

/* ociSpawn(blob): init parked before SYNC_ROOTFS; ptyFd carries its pidfd. */
static napi_value js_oci_spawn(napi_env env, napi_callback_info info)
{
	return call_blob(env, info, tsm_oci_spawn);
}

static napi_value js_oci_exec(napi_env env, napi_callback_info info)
{
	return call_blob(env, info, tsm_oci_exec);
}

/* ociFinish(syncFd, pidFd): rc 0 once init parked on exec.fifo. */
static napi_value js_oci_finish(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	int32_t fd, pidfd;
	struct tsm_result r;
	if (!args(env, info, 2, argv) || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &pidfd))
		return NULL;
	int rc = tsm_oci_finish(fd, pidfd, &r);
	return result(env, rc, &r);
}

/* ociAbort(initPid, pidFd, syncFd) */
static napi_value js_oci_abort(napi_env env, napi_callback_info info)
{
	return call_abort(env, info, tsm_oci_abort);
}

/* setChildSubreaper(on): orphans below us (an OCI init) become our children. */
static napi_value js_set_child_subreaper(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t on;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &on))
		return NULL;
	return num(env, prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0 ? -errno : 0);
}

/* socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): [a, b] or -errno. For
 * tests of --console-socket. */
static napi_value js_socketpair(napi_env env, napi_callback_info info)
{
	(void)info;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return num(env, -errno);
	napi_value arr;
	napi_create_array_with_length(env, 2, &arr);
	napi_set_element(env, arr, 0, num(env, sv[0]));
	napi_set_element(env, arr, 1, num(env, sv[1]));
	return arr;
}

/* recvFd(fd): blocks for one message and returns the fd it carried
 * (SCM_RIGHTS, close-on-exec), or -errno (ENOMSG: none attached). */
static napi_value js_recv_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &fd))
		return NULL;
	char data[256];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {data, sizeof(data)};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return num(env, -errno);
	int got = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
	return num(env, got >= 0 ? got : -ENOMSG);
}

/* ---- syscalls Node lacks ---------------------------------------------- */

static napi_value js_flock(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	int32_t fd, op;
	if (!args(env, info, 2, argv) || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &op))
		return NULL;
	return num(env, tsm_flock(fd, op));
}

static napi_value js_remove_tree(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args(env, info, 1, argv))
		return NULL;
	char *path = arg_str(env, argv[0]);
	if (!path)
		return NULL;
	int r = tsm_remove_tree(path);
	free(path);
	return num(env, r);
}

/* _exit: for a CLI that has said all it has to say (Node's stdout and
 * stderr writes to files, pipes and terminals are synchronous on Linux).
 * Node's own exit tears down V8 and joins its threads, a visible part of a
 * short command (docs/decisions.md). */
static napi_value js_exit_now(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t code;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &code))
		return NULL;
	_exit(code);
}

static napi_value js_notify(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	if (!args(env, info, 2, argv))
		return NULL;
	char *path = arg_str(env, argv[0]);
	char *state = path ? arg_str(env, argv[1]) : NULL;
	int rc = state ? tsm_notify(path, state) : 0;
	free(path);
	free(state);
	return state ? num(env, rc) : NULL;
}

static napi_value js_set_winsize(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	int32_t fd, rows, cols;
	if (!args(env, info, 3, argv) || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &rows) ||
	    !arg_int(env, argv[2], &cols))
		return NULL;
	return num(env, tsm_set_winsize(fd, rows, cols));
}

/* Whether fd is a terminal: the CLI relays a terminal through pipes
 * instead of handing it to a container (src/cli/stdio-relay.ts). */
static napi_value js_isatty(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	if (!args(env, info, 1, argv) || !arg_int(env, argv[0], &fd))
		return NULL;
	return num(env, isatty(fd) ? 1 : 0);
}

/* pipe2(O_CLOEXEC): [read end, write end], or -errno. */
static napi_value js_pipe(napi_env env, napi_callback_info info)
{
	(void)info;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return num(env, -errno);
	napi_value arr;
	napi_create_array_with_length(env, 2, &arr);
	napi_set_element(env, arr, 0, num(env, fds[0]));
	napi_set_element(env, arr, 1, num(env, fds[1]));
	return arr;
}

static napi_value js_mknod(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	uint32_t mode, major_, minor_;
	if (!args(env, info, 4, argv) || !arg_uint(env, argv[1], &mode) || !arg_uint(env, argv[2], &major_) ||
	    !arg_uint(env, argv[3], &minor_))
		return NULL;
	char *path = arg_str(env, argv[0]);
	if (!path)
		return NULL;
	int r = tsm_mknod(path, mode, major_, minor_);
	free(path);
	return num(env, r);
}

static napi_value js_lsetxattr(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	void *value;
	size_t len;
	if (!args(env, info, 3, argv) || !arg_buf(env, argv[2], &value, &len))
		return NULL;
	char *path = arg_str(env, argv[0]);
	char *name = path ? arg_str(env, argv[1]) : NULL;
	if (!name) {
		free(path);
		return NULL;
	}
	int r = tsm_lsetxattr(path, name, value, len);
	free(path);
	free(name);
	return num(env, r);
}

/* lgetxattr (name given) or llistxattr (name NULL) into a Buffer, or -errno. */
static napi_value xattr_buffer(napi_env env, const char *path, const char *name)
{
	char *buf;
	ssize_t n = tsm_xattr_read(path, name, &buf);
	if (n < 0)
		return num(env, n);
	napi_value out = NULL;
	napi_create_buffer_copy(env, (size_t)n, buf, NULL, &out);
	free(buf);
	return out;
}

static napi_value js_lgetxattr(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	if (!args(env, info, 2, argv))
		return NULL;
	char *path = arg_str(env, argv[0]);
	char *name = path ? arg_str(env, argv[1]) : NULL;
	napi_value out = name ? xattr_buffer(env, path, name) : NULL;
	free(path);
	free(name);
	return out;
}

static napi_value js_llistxattr(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args(env, info, 1, argv))
		return NULL;
	char *path = arg_str(env, argv[0]);
	napi_value out = path ? xattr_buffer(env, path, NULL) : NULL;
	free(path);
	return out;
}

/* ---- rtnetlink (netlink.c: -1 with errno → -errno here) --------------- */

static napi_value nl_rc(napi_env env, int rc)
{
	return num(env, rc < 0 ? -errno : rc);
}

/* The netlink calls that take one interface name. */
static napi_value nl_by_name(napi_env env, napi_callback_info info, int (*fn)(const char *))
{
	napi_value argv[1];
	if (!args(env, info, 1, argv))
		return NULL;
	char *name = arg_str(env, argv[0]);
	if (!name)
		return NULL;
	napi_value v = nl_rc(env, fn(name));
	free(name);
	return v;
}

static napi_value js_nl_link_index(napi_env env, napi_callback_info info)
{
	return nl_by_name(env, info, tsm_nl_link_index);
}

static napi_value js_nl_bridge_add(napi_env env, napi_callback_info info)
{
	return nl_by_name(env, info, tsm_nl_bridge_add);
}

static napi_value js_nl_link_del(napi_env env, napi_callback_info info)
{
	return nl_by_name(env, info, tsm_nl_link_del);
}

static napi_value js_nl_veth_add(napi_env env, napi_callback_info info)
{
	napi_value argv[5];
	int32_t pid, mtu;
	void *mac;
	size_t mac_len;
	if (!args(env, info, 5, argv) || !arg_int(env, argv[2], &pid) || !arg_int(env, argv[3], &mtu) ||
	    !arg_buf(env, argv[4], &mac, &mac_len))
		return NULL;
	if (mac_len != 0 && mac_len != 6) {
		napi_throw_type_error(env, NULL, "tsmachine.node: a MAC address has 6 bytes");
		return NULL;
	}
	char *host = arg_str(env, argv[0]);
	char *peer = host ? arg_str(env, argv[1]) : NULL;
	napi_value v = peer ? nl_rc(env, tsm_nl_veth_add(host, peer, pid, mtu, mac_len ? mac : NULL)) : NULL;
	free(host);
	free(peer);
	return v;
}

static napi_value js_nl_l2_add(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	int32_t parent, pid;
	if (!args(env, info, 4, argv) || !arg_int(env, argv[1], &parent) || !arg_int(env, argv[3], &pid))
		return NULL;
	char *kind = arg_str(env, argv[0]);
	char *name = kind ? arg_str(env, argv[2]) : NULL;
	napi_value v = name ? nl_rc(env, tsm_nl_l2_add(kind, parent, name, pid)) : NULL;
	free(kind);
	free(name);
	return v;
}

static napi_value js_nl_link_set(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	int32_t ifindex, master, up;
	if (!args(env, info, 3, argv) || !arg_int(env, argv[0], &ifindex) || !arg_int(env, argv[1], &master) ||
	    !arg_int(env, argv[2], &up))
		return NULL;
	return nl_rc(env, tsm_nl_link_set(ifindex, master, up));
}

static napi_value js_nl_hairpin(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	int32_t ifindex, on;
	if (!args(env, info, 2, argv) || !arg_int(env, argv[0], &ifindex) || !arg_int(env, argv[1], &on))
		return NULL;
	return nl_rc(env, tsm_nl_brport_hairpin(ifindex, on));
}

static napi_value js_nl_addr_add(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	int32_t ifindex, prefix;
	uint32_t addr;
	if (!args(env, info, 3, argv) || !arg_int(env, argv[0], &ifindex) || !arg_uint(env, argv[1], &addr) ||
	    !arg_int(env, argv[2], &prefix))
		return NULL;
	return nl_rc(env, tsm_nl_addr_add(ifindex, addr, prefix));
}

/* 0, or -(errno * 16 + step): the failing step (enum tsm_nl_step, < 16) rides along. */
static napi_value js_nl_netns_configure(napi_env env, napi_callback_info info)
{
	napi_value argv[5];
	int32_t pid, prefix;
	uint32_t addr, gw;
	if (!args(env, info, 5, argv) || !arg_int(env, argv[0], &pid) || !arg_uint(env, argv[2], &addr) ||
	    !arg_int(env, argv[3], &prefix) || !arg_uint(env, argv[4], &gw))
		return NULL;
	char *ifname = arg_str(env, argv[1]);
	if (!ifname)
		return NULL;
	struct tsm_result r;
	int rc = tsm_nl_netns_configure(pid, ifname, addr, prefix, gw, &r);
	free(ifname);
	return result(env, rc, &r);
}

/* ---- libnftables (nft.c) ------------------------------------------------ */

/* nftRun(commands, json): { ok, stdout, stderr }, or null without libnftables
 * (or memory for its output: the caller then runs the nft binary). */
static napi_value js_nft_run(napi_env env, napi_callback_info info)
{
	napi_value argv[2], out = NULL, v;
	bool json = false;
	if (!args(env, info, 2, argv) || napi_get_value_bool(env, argv[1], &json) != napi_ok)
		return NULL;
	char *cmds = arg_str(env, argv[0]);
	if (!cmds)
		return NULL;
	char *o, *e;
	int rc = tsm_nft_run(cmds, json, &o, &e);
	free(cmds);
	if (rc < 0) {
		napi_get_null(env, &out);
		return out;
	}
	napi_create_object(env, &out);
	napi_get_boolean(env, rc == 0, &v);
	napi_set_named_property(env, out, "ok", v);
	napi_create_string_utf8(env, o, NAPI_AUTO_LENGTH, &v);
	napi_set_named_property(env, out, "stdout", v);
	napi_create_string_utf8(env, e, NAPI_AUTO_LENGTH, &v);
	napi_set_named_property(env, out, "stderr", v);
	free(o);
	free(e);
	return out;
}

/* seccompProgram(): the filter the stages install, as bytes (struct
 * sock_filter[]), or -errno; for inspecting it (the unit tests run it). */
static napi_value js_seccomp_program(napi_env env, napi_callback_info info)
{
	(void)info;
	struct sock_filter prog[1024];
	int n = tsm_seccomp_program(prog, sizeof(prog) / sizeof(prog[0]));
	if (n < 0)
		return num(env, -errno);
	napi_value out = NULL;
	napi_create_buffer_copy(env, (size_t)n * sizeof(prog[0]), prog, NULL, &out);
	return out;
}

/* seccompCompile(records): the OCI profile as struct sock_filter[] bytes,
 * or the failure as a result object (seccomp-compile.c). */
static napi_value js_seccomp_compile(napi_env env, napi_callback_info info)
{
	napi_value argv[1], out = NULL;
	void *data;
	size_t len, plen;
	unsigned char *prog;
	struct tsm_result r;
	if (!args(env, info, 1, argv) || !arg_buf(env, argv[0], &data, &len))
		return NULL;
	if (tsm_seccomp_compile(data, len, &prog, &plen, &r) < 0)
		return result(env, -1, &r);
	napi_create_buffer_copy(env, plen, prog, NULL, &out);
	free(prog);
	return out;
}

/* seccompVersion(): "MAJOR.MINOR.MICRO" of libseccomp.so.2, or null without it. */
static napi_value js_seccomp_version(napi_env env, napi_callback_info info)
{
	(void)info;
	unsigned int v[3];
	char s[40];
	napi_value out = NULL;
	if (tsm_seccomp_version(v) < 0) {
		napi_get_null(env, &out);
		return out;
	}
	snprintf(s, sizeof(s), "%u.%u.%u", v[0], v[1], v[2]);
	napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out);
	return out;
}

/* seccompArch(name): libseccomp's token for SCMP_ARCH_…, 0 unknown, -ENOENT without it. */
static napi_value js_seccomp_arch(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!args(env, info, 1, argv))
		return NULL;
	char *name = arg_str(env, argv[0]);
	if (!name)
		return NULL;
	long t = tsm_seccomp_arch(name);
	free(name);
	return num(env, t);
}

/* openInRoot(root, path, walk): the host path that path names with root as
 * "/", or -errno; walk: resolve as on kernels without openat2. For tests. */
static napi_value js_open_in_root(napi_env env, napi_callback_info info)
{
	napi_value argv[3], out = NULL;
	bool walk = false;
	if (!args(env, info, 3, argv) || napi_get_value_bool(env, argv[2], &walk) != napi_ok)
		return NULL;
	char *root = arg_str(env, argv[0]), *path = root ? arg_str(env, argv[1]) : NULL;
	if (!path) {
		free(root);
		return NULL;
	}
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1;
	if (rootfd >= 0)
		fd = walk ? tsm_open_in_root_walk(rootfd, path, O_PATH) : tsm_open_in_root(rootfd, path, O_PATH);
	int err = errno;
	free(root);
	free(path);
	if (rootfd >= 0)
		close(rootfd);
	if (fd < 0)
		return num(env, -err);
	char link[32], buf[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return num(env, -err);
	napi_create_string_utf8(env, buf, (size_t)n, &out);
	return out;
}

struct cpu_paths {
	napi_env env;
	napi_value list;
	uint32_t n;
};

static int add_cpu_path(int rootfd, const char *path, void *arg)
{
	(void)rootfd;
	struct cpu_paths *c = arg;
	napi_value v;
	napi_create_string_utf8(c->env, path, NAPI_AUTO_LENGTH, &v);
	napi_set_element(c->env, c->list, c->n++, v);
	return 0;
}

/* cpuPaths(root, cpudir, tail): what mask.c masks per CPU under a rootfs
 * (cpudir/cpuN + tail, those that exist), or -errno. For tests. */
static napi_value js_cpu_paths(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	if (!args(env, info, 3, argv))
		return NULL;
	char *root = arg_str(env, argv[0]), *dir = root ? arg_str(env, argv[1]) : NULL;
	char *tail = dir ? arg_str(env, argv[2]) : NULL;
	struct cpu_paths c = {env, NULL, 0};
	int r = -1, err = 0;
	if (tail) {
		napi_create_array(env, &c.list);
		int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		r = rootfd < 0 ? -1 : tsm_each_cpu_path(rootfd, dir, tail, add_cpu_path, &c);
		err = errno;
		if (rootfd >= 0)
			close(rootfd);
	}
	free(root);
	free(dir);
	free(tail);
	if (!tail)
		return NULL;
	return r < 0 ? num(env, -err) : c.list;
}

/* ---- the module ------------------------------------------------------- */

NAPI_MODULE_INIT()
{
	static const struct {
		const char *name;
		napi_callback fn;
	} fns[] = {
		{"spawn", js_spawn},
		{"exec", js_exec},
		{"buildRootfs", js_build_rootfs},
		{"reportedFailure", js_reported_failure},
		{"release", js_release},
		{"abort", js_abort},
		{"execAbort", js_exec_abort},
		{"ociSpawn", js_oci_spawn},
		{"ociFinish", js_oci_finish},
		{"ociAbort", js_oci_abort},
		{"ociExec", js_oci_exec},
		{"setChildSubreaper", js_set_child_subreaper},
		{"socketpair", js_socketpair},
		{"recvFd", js_recv_fd},
		{"wait", js_wait},
		{"flock", js_flock},
		{"removeTree", js_remove_tree},
		{"exitNow", js_exit_now},
		{"notify", js_notify},
		{"setWinsize", js_set_winsize},
		{"isatty", js_isatty},
		{"pipe", js_pipe},
		{"mknod", js_mknod},
		{"lsetxattr", js_lsetxattr},
		{"lgetxattr", js_lgetxattr},
		{"llistxattr", js_llistxattr},
		{"nlLinkIndex", js_nl_link_index},
		{"nlBridgeAdd", js_nl_bridge_add},
		{"nlVethAdd", js_nl_veth_add},
		{"nlL2Add", js_nl_l2_add},
		{"nlLinkSet", js_nl_link_set},
		{"nlHairpin", js_nl_hairpin},
		{"nlAddrAdd", js_nl_addr_add},
		{"nlLinkDel", js_nl_link_del},
		{"nlNetnsConfigure", js_nl_netns_configure},
		{"nftRun", js_nft_run},
		{"seccompProgram", js_seccomp_program},
		{"seccompCompile", js_seccomp_compile},
		{"seccompVersion", js_seccomp_version},
		{"seccompArch", js_seccomp_arch},
		{"openInRoot", js_open_in_root},
		{"cpuPaths", js_cpu_paths},
		{"unixConnect", js_unix_connect},
		{"sendAll", js_send_all},
		{"startReader", js_start_reader},
		{"refReader", js_ref_reader},
		{"shutdownSocket", js_shutdown_socket},
	};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		napi_value f;
		if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok ||
		    napi_set_named_property(env, exports, fns[i].name, f) != napi_ok)
			return NULL;
	}
	return exports;
}
