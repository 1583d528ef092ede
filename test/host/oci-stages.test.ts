import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync, closeSync, constants, copyFileSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync,
  rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelError, kill, waitExit } from '../../src/kernel/index.js';
import { nativeAddon } from '../../src/kernel/addon.js';
import { mkfifo, ociExec, ociSpawn, setChildSubreaper } from '../../src/kernel/oci.js';
import type { OciCreateRequest, OciMountPlan, OciParkedInit, OciProcessPlan } from '../../src/kernel/oci-types.js';
import { BUSYBOX, ensureNative, skipReason } from './kernel-fixture.js';

/**
 * native/src/oci-*.c on this machine's kernel, without systemd: ociSpawn →
 * finish → the fifo opened as `start` does, and ociExec into the result.
 * The payloads report through files in a bound /out. This process is a
 * child subreaper, so each init (whose stage exits) is our child and its
 * exit status can be waited for.
 */

const MS_RDONLY = 0x1, MS_NOSUID = 0x2, MS_NODEV = 0x4, MS_NOEXEC = 0x8, MS_BIND = 0x1000, MS_REC = 0x4000;
const MS_PRIVATE = 0x40000, MS_SLAVE = 0x80000, MS_STRICTATIME = 0x1000000;

/** Our own permitted set: everything this (possibly restricted) host lets root have. */
function ourCaps(): bigint {
  return BigInt(`0x${/^CapPrm:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
}

function mount(destination: string, type: string, source: string, flags: number, data = '', more: Partial<OciMountPlan> = {}): OciMountPlan {
  return { destination, type, source, flags, propagation: [], data, recursiveReadonly: false, ...more };
}

interface Box {
  dir: string;
  rootfs: string;
  out: string;
  fifo: string;
  state: string;
  request(script: string | string[], over?: Partial<OciCreateRequest>, proc?: Partial<OciProcessPlan>): OciCreateRequest;
  read(name: string): string;
}

let root = '';
let boxes = 0;

/** A busybox rootfs shared by the tests (they never write to it), built once. */
function makeRootfs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-oci-'));
  chmodSync(dir, 0o755); // a user namespace's root must reach it
  const rootfs = join(dir, 'rootfs');
  // the mount points too: a user namespace's root may not create them in a rootfs of host root's
  for (const d of ['bin', 'etc', 'proc', 'dev', 'tmp', 'data', 'secret-dir', 'out', 'mnt', 't']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const a of execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n')) if (a && a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(join(rootfs, 'etc/secret'), 'secret\n');
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  writeFileSync(join(rootfs, 'secret-dir/file'), 'x');
  return dir;
}

function makeBox(): Box {
  const dir = join(root, `box${boxes++}`);
  const out = join(dir, 'out');
  mkdirSync(out, { recursive: true });
  chmodSync(out, 0o777); // payloads write as other users too
  const fifo = join(dir, 'exec.fifo');
  mkfifo(fifo, 0o622);
  const state = join(dir, 'state.json');
  writeFileSync(state, '{"ociVersion":"1.2.0","id":"ocitest","status":"creating","pid":1,"bundle":"/"}');
  const rootfs = join(root, 'rootfs');
  return {
    dir, rootfs, out, fifo, state,
    request(script, over = {}, proc = {}): OciCreateRequest {
      const caps = ourCaps();
      return {
        id: 'ocitest',
        rootfs,
        readonlyRoot: false,
        namespaces: ['pid', 'mount', 'ipc', 'uts', 'network'].map((type) => ({ type: type as 'pid' })),
        uidMappings: [],
        gidMappings: [],
        hostname: 'oci-host',
        mounts: [
          mount('/proc', 'proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC),
          mount('/dev', 'tmpfs', 'tmpfs', MS_NOSUID | MS_STRICTATIME, 'mode=755,size=65536k'),
          mount('/dev/pts', 'devpts', 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620'),
          mount('/out', 'bind', out, MS_BIND | MS_REC),
        ],
        devices: [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
        maskedPaths: [],
        readonlyPaths: [],
        sysctl: [],
        rootfsPropagation: MS_SLAVE | MS_REC,
        noPivot: false,
        createContainerHooks: [],
        startContainerHooks: [],
        fifoPath: fifo,
        stateFile: state,
        preserveFds: 0,
        ...over,
        process: {
          args: Array.isArray(script) ? script : ['sh', '-c', script],
          env: ['PATH=/bin'],
          cwd: '/',
          uid: 0,
          gid: 0,
          additionalGids: [],
          capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: 0n, ambient: 0n },
          rlimits: [],
          noNewPrivileges: false,
          terminal: false,
          ...proc,
        },
      };
    },
    read(name: string): string {
      return readFileSync(join(out, name), 'utf8');
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `start`: open the fifo for reading and take init's "0". */
async function start(fifo: string): Promise<void> {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    for (let i = 0; i < 500; i++) {
      let n = 0;
      try { n = readSync(fd, buf, 0, 1, null); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; }
      if (n === 1) {
        assert.equal(buf.toString(), '0');
        return;
      }
      await sleep(10);
    }
    throw new Error('init never wrote to exec.fifo');
  } finally {
    closeSync(fd);
  }
}

interface Running { init: OciParkedInit; exited: Promise<number> }
const live: Running[] = [];

/** ociSpawn + finish; init is our child (we are its subreaper). */
function create(req: OciCreateRequest): Running {
  const init = ociSpawn(req);
  const r = { init, exited: waitExit(init.initPid) };
  live.push(r);
  return r;
}

/** The whole lifecycle: create, finish, start, wait. */
async function run(box: Box, req: OciCreateRequest): Promise<number> {
  const c = create(req);
  c.init.finish();
  await start(box.fifo);
  return c.exited;
}

function comm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !fn(); i++) await sleep(10);
  assert.ok(fn(), what);
}

/** A tiny classic-BPF program: mkdir and mkdirat answer EPERM on x86_64, all else allowed. */
function denyMkdir(): Uint8Array {
  const insns: [number, number, number, number][] = [
    [0x20, 0, 0, 4], // ld arch
    [0x15, 1, 0, 0xc000003e], // x86_64?
    [0x06, 0, 0, 0x7fff0000], // other arch: allow
    [0x20, 0, 0, 0], // ld nr
    [0x15, 1, 0, 83], // mkdir?
    [0x15, 0, 1, 258], // mkdirat?
    [0x06, 0, 0, 0x00050000 | 1], // ERRNO(EPERM)
    [0x06, 0, 0, 0x7fff0000], // allow
  ];
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    b.writeUInt32LE(k, i * 8 + 4);
  });
  return b;
}

const skip = skipReason() ?? (process.arch === 'x64' ? false : 'the hand-made BPF is x86_64');

describe('OCI stages (native oci-*.c)', { skip }, () => {
  before(() => {
    ensureNative();
    setChildSubreaper(true);
    root = makeRootfs();
  });
  afterEach(async () => {
    // Whatever a test left running: its init, and what it exec'd (our children too).
    for (const r of live.splice(0)) {
      r.init.abort();
      await r.exited.catch(() => undefined);
    }
  });
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('mounts in order with their options, devices, /dev links, hostname, masked and read-only paths, sysctl', async () => {
    const box = makeBox();
    const hostDir = join(box.dir, 'host-ro');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'file'), 'from the host\n');
    const script = [
      'stat -c %a /tmp > /out/tmp-mode',
      'grep " /tmp " /proc/self/mountinfo > /out/tmp-mnt',
      'grep " /dev/shm " /proc/self/mountinfo > /out/shm-mnt',
      'cat /mnt/t/ro/file > /out/nested',
      'touch /mnt/t/ro/x 2>/dev/null && echo writable > /out/ro || echo readonly > /out/ro',
      'hostname > /out/host',
      'stat -c "%F %t %T %a" /dev/mynull > /out/dev',
      'readlink /dev/stdout > /out/stdout-link',
      'wc -c < /etc/secret > /out/secret; ls /secret-dir | wc -l > /out/secret-dir',
      'cat /proc/timer_list 2>/dev/null | wc -c > /out/timer_list',
      'touch /data/x 2>/dev/null && echo writable > /out/data || echo readonly > /out/data',
      'cat /proc/sys/net/ipv4/ip_forward > /out/ip_forward',
      'cat /proc/sys/kernel/shmmax > /out/shmmax',
      'cat /proc/sys/kernel/domainname > /out/domain',
    ].join('\n');
    const req = box.request(script, {
      hostname: 'oci-host',
      domainname: 'oci-domain',
      mounts: [
        ...box.request('').mounts,
        mount('/tmp', 'tmpfs', 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777,size=64k'),
        mount('/dev/shm', 'tmpfs', 'shm', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=1777,size=65536k', { propagation: [MS_PRIVATE] }),
        // in order: the bind lands inside the tmpfs mounted just before it
        mount('/mnt/t', 'tmpfs', 'tmpfs', 0, 'mode=755'),
        mount('/mnt/t/ro', 'bind', hostDir, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID),
      ],
      devices: [
        { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
        { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 0, gid: 0 },
      ],
      maskedPaths: ['/etc/secret', '/secret-dir', '/proc/timer_list', '/proc/kcore', '/no/such/path'],
      readonlyPaths: ['/data', '/no/such/dir'],
      sysctl: [['net.ipv4.ip_forward', '1'], ['kernel.shmmax', '123456789']],
    });
    assert.equal(await run(box, req), 0);
    assert.equal(box.read('tmp-mode'), '1777\n');
    assert.match(box.read('tmp-mnt'), / \/tmp [^ ]*nosuid,nodev.* - tmpfs tmpfs .*size=64k/);
    assert.doesNotMatch(box.read('shm-mnt'), /shared:/, 'propagation private');
    assert.match(box.read('shm-mnt'), /nosuid,nodev,noexec/);
    assert.equal(box.read('nested'), 'from the host\n');
    assert.equal(box.read('ro'), 'readonly\n');
    assert.ok(!existsSync(join(hostDir, 'x')));
    assert.equal(box.read('host'), 'oci-host\n');
    assert.equal(box.read('domain'), 'oci-domain\n');
    assert.equal(box.read('dev'), 'character special file 1 3 640\n');
    assert.equal(box.read('stdout-link'), '/proc/self/fd/1\n');
    assert.equal(box.read('secret'), '0\n', 'masked file reads as /dev/null');
    assert.equal(box.read('secret-dir'), '0\n', 'masked directory is empty');
    assert.equal(box.read('timer_list'), '0\n');
    assert.equal(box.read('data'), 'readonly\n');
    assert.equal(box.read('ip_forward'), '1\n', 'net sysctl of the container network namespace');
    assert.equal(box.read('shmmax'), '123456789\n', 'ipc sysctl of the container ipc namespace');
    assert.notEqual(readFileSync('/proc/sys/kernel/shmmax', 'utf8'), '123456789\n', 'the host kept its own');
  });

  test('credentials: uid, gid, additionalGids, the five capability sets, rlimits, no_new_privs, umask, oom_score_adj, cwd, env', async () => {
    const box = makeBox();
    const script = [
      'id -u > /out/uid; id -g > /out/gid; id -G > /out/groups',
      'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status > /out/caps',
      'ulimit -n > /out/nofile',
      'grep NoNewPrivs: /proc/self/status > /out/nnp',
      'umask > /out/umask',
      'cat /proc/self/oom_score_adj > /out/oom',
      'pwd > /out/cwd; echo $GREETING > /out/env; echo $HOME > /out/home',
    ].join('\n');
    const NET_BIND_SERVICE = 1n << 10n, CHOWN = 1n;
    const req = box.request(script, {}, {
      uid: 1000, gid: 1001, additionalGids: [20, 30], cwd: '/tmp', env: ['PATH=/bin', 'GREETING=hi'],
      capabilities: { bounding: NET_BIND_SERVICE | CHOWN, effective: NET_BIND_SERVICE, permitted: NET_BIND_SERVICE, inheritable: NET_BIND_SERVICE, ambient: NET_BIND_SERVICE },
      rlimits: [{ resource: 7, soft: 256n, hard: 512n }],
      noNewPrivileges: true, umask: 0o027, oomScoreAdj: 500,
    });
    assert.equal(await run(box, req), 0);
    assert.equal(box.read('uid'), '1000\n');
    assert.equal(box.read('gid'), '1001\n');
    assert.equal(box.read('groups'), '1001 20 30\n');
    const caps = box.read('caps');
    assert.match(caps, /CapInh:\s+0000000000000400/);
    assert.match(caps, /CapPrm:\s+0000000000000400/);
    assert.match(caps, /CapEff:\s+0000000000000400/, 'ambient raised the effective set of a non-root uid');
    assert.match(caps, /CapBnd:\s+0000000000000401/);
    assert.match(caps, /CapAmb:\s+0000000000000400/);
    assert.equal(box.read('nofile'), '256\n');
    assert.equal(box.read('nnp'), 'NoNewPrivs:\t1\n');
    assert.equal(box.read('umask'), '0027\n');
    assert.equal(box.read('oom'), '500\n');
    assert.equal(box.read('cwd'), '/tmp\n');
    assert.equal(box.read('env'), 'hi\n');
    assert.equal(box.read('home'), '/home/app\n', "HOME from the container's /etc/passwd, as runc");
  });

  test('readonlyRoot remounts / read-only; noPivot moves the root and chroots', async () => {
    const box = makeBox();
    const script = 'touch /newfile 2>/dev/null && echo writable > /out/root || echo readonly > /out/root; hostname > /out/host; echo $HOME > /out/home';
    assert.equal(await run(box, box.request(script, { readonlyRoot: true }, { env: ['PATH=/bin', 'HOME=/kept'] })), 0);
    assert.equal(box.read('root'), 'readonly\n');
    assert.equal(box.read('home'), '/kept\n');
    assert.ok(!existsSync(join(box.rootfs, 'newfile')));
    const box2 = makeBox();
    assert.equal(await run(box2, box2.request(script, { noPivot: true, readonlyRoot: true })), 0);
    assert.equal(box2.read('root'), 'readonly\n');
    assert.equal(box2.read('host'), 'oci-host\n');
    assert.equal(box2.read('home'), '/root\n');
  });

  test('exec.fifo: init parks after finish() and execs only once start opens the fifo', async () => {
    const box = makeBox();
    const c = create(box.request(['sleep', '1000']));
    assert.ok(existsSync(`/proc/${c.init.initPid}`));
    c.init.finish();
    // Parked on the fifo: pivot_root is done (its root is the rootfs) but no payload runs.
    await sleep(50);
    assert.notEqual(comm(c.init.initPid), 'sleep', 'the payload ran before start');
    assert.ok(existsSync(`/proc/${c.init.initPid}/root/bin/busybox`));
    const wchan = readFileSync(`/proc/${c.init.initPid}/wchan`, 'utf8');
    assert.notEqual(wchan, '');
    await start(box.fifo);
    await until('sleep runs after start', () => comm(c.init.initPid) === 'sleep');
    assert.ok(kill(c.init.initPid, 9));
    assert.equal(await c.exited, 137);
  });

  test('parked init holds none of our fds (a lock would outlive create); preserveFds keeps 3..3+N-1', async () => {
    const box = makeBox();
    const held = openSync(join(box.dir, 'lockfile'), 'w');
    try {
      // `; true`: sh stays PID 1 (it would exec a last lone command)
      const c = create(box.request('ls /proc/1/fd > /out/fds; true'));
      c.init.finish();
      // init closes its end of the sync socket right after SYNC_CREATED
      await until('init parks with four fds', () => readdirSync(`/proc/${c.init.initPid}/fd`).length <= 4);
      const fds = readdirSync(`/proc/${c.init.initPid}/fd`);
      const targets = fds.map((fd) => { try { return readlinkSync(`/proc/${c.init.initPid}/fd/${fd}`); } catch { return ''; } });
      assert.ok(!targets.includes(join(box.dir, 'lockfile')), `init holds our file: ${targets.join(' ')}`);
      assert.equal(fds.length, 4, `0, 1, 2 and the fifo: ${targets.join(' ')}`);
      assert.ok(targets.includes(box.fifo));
      await start(box.fifo);
      assert.equal(await c.exited, 0);
      // (ash keeps a copy of its own at 10)
      const low = (out: string): string[] => out.split(/\s+/).filter((n) => n !== '' && Number(n) < 10);
      assert.deepEqual(low(box.read('fds')), ['0', '1', '2']);
      const box2 = makeBox();
      assert.equal(await run(box2, { ...box2.request('ls /proc/1/fd > /out/fds; true'), preserveFds: 2 }), 0);
      assert.deepEqual(low(box2.read('fds')), ['0', '1', '2', '3', '4']);
    } finally {
      closeSync(held);
    }
  });

  test('rootfsPropagation rshared still pivots; rro binds are read-only all the way down', async () => {
    const box = makeBox();
    const host = join(box.dir, 'tree');
    mkdirSync(join(host, 'sub'), { recursive: true });
    const req = box.request('touch /t/x 2>/dev/null || echo ro > /out/top; touch /t/sub/x 2>/dev/null || echo ro > /out/sub; cat /proc/self/mountinfo > /out/mountinfo', {
      rootfsPropagation: 0x100000 | MS_REC, // MS_SHARED
      mounts: [...box.request('').mounts, mount('/t', 'bind', host, MS_BIND | MS_REC, '', { recursiveReadonly: true })],
    });
    assert.equal(await run(box, req), 0);
    assert.equal(box.read('top'), 'ro\n');
    assert.equal(box.read('sub'), 'ro\n');
    assert.match(box.read('mountinfo'), /^\d+ \d+ \S+ \S+ \/ /m, 'pivot_root happened: a mount at /');
  });

  test('a missing argv[0] fails finish() with a KernelError (execve lookup) and leaves no process', async () => {
    const box = makeBox();
    const c = create(box.request(['nope']));
    assert.throws(() => c.init.finish(), (e: unknown) => {
      assert.ok(e instanceof KernelError);
      assert.equal(e.stage, 'init');
      assert.equal(e.syscall, 'execve');
      assert.equal(e.what, 'lookup');
      assert.equal(e.path, 'nope');
      assert.equal(e.errnoName, 'ENOENT');
      return true;
    });
    assert.equal(await c.exited, 127);
    assert.ok(!existsSync(`/proc/${c.init.initPid}`), 'init is still there');
    const abs = create(box.request(['/bin/nope']));
    assert.throws(() => abs.init.finish(), (e: unknown) => e instanceof KernelError && e.path === '/bin/nope' && e.errnoName === 'ENOENT');
    await abs.exited;
  });

  test('a failing mount is reported with its path; abort() kills a parked init', async () => {
    const box = makeBox();
    const c = create(box.request('true', { mounts: [mount('/x', 'bind', join(box.dir, 'gone'), MS_BIND)] }));
    assert.throws(() => c.init.finish(), (e: unknown) => e instanceof KernelError && e.syscall === 'stat' && e.path === join(box.dir, 'gone'));
    await c.exited;
    const p = create(box.request('true'));
    p.init.abort();
    p.init.abort(); // twice is fine
    assert.equal(await p.exited, 137);
  });

  test('joins a network namespace by path (ip netns add)', async () => {
    const box = makeBox();
    const name = `tsm-oci-${process.pid}`;
    execFileSync('ip', ['netns', 'add', name]);
    try {
      const path = `/run/netns/${name}`;
      const req = box.request('readlink /proc/self/ns/net > /out/net', {
        namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path }],
      });
      assert.equal(await run(box, req), 0);
      assert.equal(box.read('net'), `net:[${statSync(path).ino}]\n`);
      assert.notEqual(box.read('net'), `${execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' })}`);
    } finally {
      execFileSync('ip', ['netns', 'del', name]);
    }
  });

  test('a new user namespace with uid/gid mappings; devices are bound from the host there', async () => {
    const box = makeBox();
    const script = [
      'cat /proc/self/uid_map > /out/uid_map; cat /proc/self/gid_map > /out/gid_map',
      'id -u > /out/uid; echo x > /out/owned',
      'stat -c "%t %T" /dev/null > /out/null; echo ok > /dev/null && echo writable > /out/null-w',
    ].join('\n');
    const req = box.request(script, {
      namespaces: ['pid', 'mount', 'ipc', 'uts', 'network', 'user'].map((type) => ({ type: type as 'pid' })),
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    });
    // The bundle, the state dir and the bind sources are host root's only
    // (0700): init reaches them before it becomes the namespace's root.
    chmodSync(root, 0o700);
    try {
      assert.equal(await run(box, req), 0);
    } finally {
      chmodSync(root, 0o755);
    }
    assert.match(box.read('uid_map'), /^\s*0\s+100000\s+65536\n$/);
    assert.match(box.read('gid_map'), /^\s*0\s+100000\s+65536\n$/);
    assert.equal(box.read('uid'), '0\n');
    assert.equal(statSync(join(box.out, 'owned')).uid, 100000, 'container root is host uid 100000');
    assert.equal(box.read('null'), '1 3\n');
    assert.equal(box.read('null-w'), 'writable\n');
  });

  test('a new time namespace with monotonic and boottime offsets; a new cgroup namespace', async () => {
    const box = makeBox();
    const req = box.request('cat /proc/self/timens_offsets > /out/offsets; cat /proc/uptime > /out/uptime; readlink /proc/self/ns/cgroup > /out/cgroupns', {
      namespaces: ['pid', 'mount', 'time', 'cgroup'].map((type) => ({ type: type as 'pid' })),
      timeOffsets: { monotonic: { secs: 1000n, nanosecs: 5 }, boottime: { secs: 864000n, nanosecs: 0 } },
    });
    assert.equal(await run(box, req), 0);
    assert.match(box.read('offsets'), /^monotonic\s+1000\s+5$/m);
    assert.match(box.read('offsets'), /^boottime\s+864000\s+0$/m);
    assert.ok(Number(box.read('uptime').split(' ')[0]) > 864000, box.read('uptime'));
    assert.notEqual(box.read('cgroupns'), `${readlinkSync('/proc/self/ns/cgroup')}\n`);
  });

  test('terminal: the pty master arrives on the console socket; the slave is the payload\'s stdio and /dev/console', async () => {
    const box = makeBox();
    const lib = nativeAddon();
    const pair = lib.socketpair();
    assert.ok(Array.isArray(pair));
    const [mine, theirs] = pair;
    let master = -1;
    try {
      const req = box.request('tty > /out/tty; test -t 0 && echo yes > /out/t0; stat -c "%t %T" /dev/console > /out/console; stty size > /out/size', {
        consoleFd: theirs,
      }, { terminal: true, consoleSize: { rows: 33, cols: 111 } });
      const c = create(req);
      closeSync(theirs); // init has its copy
      c.init.finish();
      master = lib.recvFd(mine);
      assert.ok(master >= 0, `recvFd: ${master}`);
      const st = fstatSync(master);
      assert.ok(st.isCharacterDevice());
      assert.equal(Math.floor(st.rdev / 256) & 0xfff, 5, 'a pty master (char 5, 2)');
      await start(box.fifo);
      assert.equal(await c.exited, 0);
      assert.equal(box.read('tty'), '/dev/pts/0\n');
      assert.equal(box.read('t0'), 'yes\n');
      assert.match(box.read('console'), /^88 0\n$/, '/dev/console is the pty slave (136 = 0x88)');
      assert.equal(box.read('size'), '33 111\n');
    } finally {
      if (master >= 0) closeSync(master);
      closeSync(mine);
    }
  });

  test('seccomp: a given BPF program is loaded into the payload (mkdir answers EPERM)', async () => {
    const box = makeBox();
    const script = 'grep Seccomp: /proc/self/status > /out/seccomp; mkdir /out/d 2> /out/err; echo $? > /out/rc';
    const req = box.request(script, {}, { seccomp: { program: denyMkdir(), flags: 0 } });
    assert.equal(await run(box, req), 0);
    assert.equal(box.read('seccomp'), 'Seccomp:\t2\n');
    assert.notEqual(box.read('rc'), '0\n', 'mkdir went through');
    assert.match(box.read('err'), /Operation not permitted/);
    assert.ok(!existsSync(join(box.out, 'd')));
    // and without the program it works
    const box2 = makeBox();
    assert.equal(await run(box2, box2.request(script)), 0);
    assert.equal(box2.read('seccomp'), 'Seccomp:\t0\n');
    assert.ok(existsSync(join(box2.out, 'd')));
  });

  test('createContainer and startContainer hooks get the state on stdin; a failing hook fails create', async () => {
    const box = makeBox();
    const req = box.request('true', {
      createContainerHooks: [{ path: BUSYBOX, args: ['busybox', 'sh', '-c', `cat > ${box.out}/cc-state; readlink /proc/self/ns/net > ${box.out}/cc-net`], env: [] }],
      startContainerHooks: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /out/sc-state'], env: [] }],
    });
    assert.equal(await run(box, req), 0);
    assert.equal(box.read('cc-state'), readFileSync(box.state, 'utf8'), 'createContainer sees the host (before pivot_root) and gets the state');
    assert.notEqual(box.read('cc-net'), execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }), 'createContainer runs in the container namespaces');
    assert.equal(box.read('sc-state'), readFileSync(box.state, 'utf8'));
    const bad = makeBox();
    const c = create(bad.request('true', { createContainerHooks: [{ path: BUSYBOX, args: ['busybox', 'false'], env: [] }] }));
    assert.throws(() => c.init.finish(), (e: unknown) => e instanceof KernelError && e.syscall === 'hook' && /createContainer exit 1/.test(e.what));
    await c.exited;
    // after SYNC_CREATED nobody reads the socket: a failing startContainer hook ends init with 127
    const late = makeBox();
    const l = create(late.request('echo ran > /out/ran', { startContainerHooks: [{ path: '/bin/false', args: [], env: [] }] }));
    l.init.finish();
    await start(late.fifo);
    assert.equal(await l.exited, 127);
    assert.ok(!existsSync(join(late.out, 'ran')), 'the payload ran after a failed startContainer hook');
  });

  test('exec joins a started container (hostname, user namespace), applies its process plan; detach returns while it runs', async () => {
    const box = makeBox();
    const c = create(box.request(['sleep', '1000'], {
      namespaces: ['pid', 'mount', 'ipc', 'uts', 'network', 'user'].map((type) => ({ type: type as 'pid' })),
      uidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }],
    }));
    c.init.finish();
    await start(box.fifo);
    await until('sleep runs', () => comm(c.init.initPid) === 'sleep');

    const script = 'hostname > /out/x-host; id -u > /out/x-uid; grep -E "^Cap(Eff|Bnd):" /proc/self/status > /out/x-caps; readlink /proc/self/ns/pid > /out/x-pidns; grep Seccomp: /proc/self/status > /out/x-seccomp';
    const proc = box.request(['sh', '-c', script], {}, {
      uid: 1000, gid: 1000,
      capabilities: { bounding: 1n << 10n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n },
      noNewPrivileges: true, seccomp: { program: denyMkdir(), flags: 0 },
    }).process;
    const e = ociExec({ leaderPid: c.init.initPid, process: proc, preserveFds: 0, detach: false });
    assert.ok(existsSync(`/proc/${e.pid}`), 'the exec pid is a host pid');
    e.release();
    assert.equal(await e.wait(), 0);
    assert.equal(box.read('x-host'), 'oci-host\n');
    assert.equal(box.read('x-uid'), '1000\n');
    assert.match(box.read('x-caps'), /CapEff:\s+0000000000000000\nCapBnd:\s+0000000000000400/);
    assert.equal(box.read('x-pidns'), `${execFileSync('readlink', [`/proc/${c.init.initPid}/ns/pid`], { encoding: 'utf8' })}`);
    assert.equal(box.read('x-seccomp'), 'Seccomp:\t2\n');
    assert.equal(statSync(join(box.out, 'x-uid')).uid, 201000, 'the container user namespace was joined');

    const d = ociExec({ leaderPid: c.init.initPid, process: { ...proc, args: ['sleep', '1000'] }, preserveFds: 0, detach: true });
    d.release();
    await until('the detached exec runs', () => comm(d.pid) === 'sleep');
    assert.equal(readFileSync(`/proc/${d.pid}/status`, 'utf8').match(/^PPid:\s+(\d+)$/m)?.[1], String(process.pid),
      'reparented to the subreaper (us), no stage in between');
    await assert.rejects(d.wait(), (err: unknown) => err instanceof KernelError);
    const reaped = waitExit(d.pid);
    assert.ok(kill(d.pid, 9));
    assert.equal(await reaped, 137);

    // a terminal for the exec'd process too, over its own console socket
    const lib = nativeAddon();
    const pair = lib.socketpair();
    assert.ok(Array.isArray(pair));
    const t = ociExec({ leaderPid: c.init.initPid, process: { ...proc, args: ['sh', '-c', 'tty > /out/x-tty'], terminal: true }, consoleFd: pair[1], preserveFds: 0, detach: false });
    closeSync(pair[1]);
    t.release();
    const master = lib.recvFd(pair[0]);
    assert.ok(master >= 0, `recvFd: ${master}`);
    assert.equal(await t.wait(), 0);
    closeSync(master);
    closeSync(pair[0]);
    assert.match(box.read('x-tty'), /^\/dev\/pts\/\d+\n$/);

    const missing = ociExec({ leaderPid: c.init.initPid, process: { ...proc, args: ['nope'] }, preserveFds: 0, detach: false });
    assert.throws(() => missing.release(), (err: unknown) => err instanceof KernelError && err.stage === 'exec' && err.path === 'nope');
    await missing.wait();
    kill(c.init.initPid, 9);
    assert.equal(await c.exited, 137);
  });

  test('mkfifo makes a FIFO with exactly the mode asked, whatever the umask', () => {
    const p = join(root, 'another.fifo');
    mkfifo(p, 0o622);
    const st = statSync(p);
    assert.ok(st.isFIFO());
    assert.equal(st.mode & 0o7777, 0o622);
    assert.throws(() => mkfifo(p, 0o622), (e: unknown) => e instanceof KernelError && e.errnoName === 'EEXIST');
  });
});
