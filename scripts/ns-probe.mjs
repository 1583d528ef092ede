// Why the namespace work runs in a forked native stage: run `node scripts/ns-probe.mjs` as root.
// In a Node process (11 threads) unshare(CLONE_NEWUSER) and setns() into a mount namespace fail with
// EINVAL, and unshare(CLONE_NEWNS) "succeeds" for the calling thread only. Numbers are in ARCHITECTURE.md.
import koffi from 'koffi';
import { readFileSync } from 'node:fs';
const libc = koffi.load('libc.so.6');
const unshare = libc.func('int unshare(int)');
const setns = libc.func('int setns(int, int)');
const open = libc.func('int open(const char*, int)');
const strerror = libc.func('const char* strerror(int)');
const threads = /Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status','utf8'))[1];
console.log('node threads:', threads);
let r = unshare(0x10000000); console.log('unshare(CLONE_NEWUSER) =', r, r < 0 ? strerror(koffi.errno()) : '');
const fd = open('/proc/self/ns/mnt', 0);
r = setns(fd, 0x00020000); console.log('setns(own mnt ns) =', r, r < 0 ? strerror(koffi.errno()) : '');
r = unshare(0x00020000); console.log('unshare(CLONE_NEWNS) =', r, r < 0 ? strerror(koffi.errno()) : '', '(succeeds but only for the calling thread; libuv pool threads keep the old mount namespace)');
