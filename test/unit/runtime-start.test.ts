// The start flow's ordering and undo, with recorders in place of systemd, the
// kernel and the network. This checks our logic only; the real thing runs in
// the systemd VM (test/integration/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'tsm-rt-'));
process.env.TSMACHINE_STATE_DIR = join(root, 'lib');
process.env.TSMACHINE_RUN_DIR = join(root, 'run');
// An lxcfs mount point with nothing mounted (until a test fills it): no proc view by default.
process.env.TSMACHINE_LXCFS_DIR = join(root, 'lxcfs');

const { startContainer } = await import('../../src/runtime/start.js');
const { execInContainer } = await import('../../src/runtime/exec.js');
const { validateSpec } = await import('../../src/config/spec.js');
const { containerPaths, readRuntime } = await import('../../src/state/container.js');
type Deps = import('../../src/runtime/deps.js').RuntimeDeps;
const { AlreadyExistsError } = await import('../../src/runtime/deps.js');
const { KernelError } = await import('../../src/kernel/errors.js');

function recorder(failAt?: string, leftover?: 'unit' | 'machine', initReports?: InstanceType<typeof KernelError>) {
  const log: string[] = [];
  let stale = leftover;
  const step = (s: string): void => {
    log.push(s);
    if (s === failAt) throw new Error(`${s} failed`);
  };
  let alive = false;
  const deps: Deps = {
    async systemd() {
      return {
        scopes: {
          async startScope(unit, i) {
            if (stale === 'unit') throw new AlreadyExistsError('unit', unit);
            step(`scope ${unit} pids=${i.pids.join(',')} mem=${i.limits.memory}`);
          },
          async stopUnit(unit) { log.push(stale ? `stale: stop ${unit}` : `undo: stop ${unit}`); stale = undefined; },
          async killUnit() { step('kill'); },
          async resetFailedUnit() { /* nothing */ },
          async unitState() { return stale === 'unit' ? { activeState: 'active', controlGroup: '/x' } : null; },
          async updateLimits() { step('update'); },
          async setServiceDevices(unit, d) { step(`service devices ${unit} ${d.policy} ${d.allow.map(([p, a]) => `${p}:${a}`).join(',')}`); },
          async attachProcesses() { step('attach'); },
        },
        machines: {
          async register(m) {
            if (stale === 'machine') throw new AlreadyExistsError('machine', m.name);
            step(`machined ${m.name} leader=${m.leader} if=${m.ifindices.join(',')}`);
          },
          async terminate(n) { log.push(stale ? `stale: terminate ${n}` : `undo: terminate ${n}`); stale = undefined; },
          async get(n) { return stale === 'machine' ? { leader: 1, unit: `tsmachine-${n}.scope` } : null; },
        },
        close() { log.push('close'); },
      };
    },
    kernel: {
      spawnContainer(req) {
        step(`spawn ${req.argv.join(' ')} lower=${req.rootfs.lowerdirs.join(':')}`);
        alive = true;
        return {
          initPid: 100, monitorPid: 99,
          buildRootfs() { step('rootfs'); },
          reportedFailure() { return initReports ?? null; },
          release() { step('release'); },
          abort() { alive = false; log.push('undo: abort'); },
        };
      },
      execInContainer() { throw new Error('unused'); },
      async waitExit() { return 0; },
      kill() { /* unused */ },
      processStartTime(pid) { return alive && (pid === 100 || pid === 99) ? 4242 : null; },
      catchesSignal() { return true; },
      acquireLock() { return { release() { /* no-op */ } }; },
      notify() { /* no-op */ },
    },
    network: {
      validate() { /* ok */ },
      sharesHost() { return false; },
      leavesHostState() { return true; },
      async setup(_n, c) {
        step(`network ${c.name} pid=${c.initPid}`);
        return { hostIfindices: [7], addresses: ['10.88.0.2'], resolvConf: 'nameserver 10.0.0.1\n', hosts: '127.0.0.1 localhost\n', async undo() { log.push('undo: network'); } };
      },
      async teardown(n) { log.push(`teardown ${n}`); },
    },
  };
  return { deps, log };
}

const image = { name: 'httpd', id: 'builtin:httpd', layers: ['/img/rootfs'], source: 'builtin' as const,
  config: { entrypoint: [], cmd: ['/bin/busybox', 'httpd', '-f'], env: [], workingDir: '/' } };
const spec = (name: string) => validateSpec(name, { memory: '64M' }, { onlineCpus: [0], exists: () => true, deviceKind: () => null });

test('start runs in nspawn order: park, network, scope, machined, state, release', async () => {
  const { deps, log } = recorder();
  const s = await startContainer(deps, spec('web'), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'web' } });
  assert.equal(s.unit, 'tsmachine-web.scope');
  assert.deepEqual(log.filter((l) => !l.startsWith('teardown')), [
    'spawn /bin/busybox httpd -f lower=/img/rootfs',
    'network web pid=100',
    'rootfs',
    'scope tsmachine-web.scope pids=100,99 mem=67108864',
    'machined web leader=100 if=7',
    'release',
    'close',
  ]);
  const rt = readRuntime('web');
  assert.equal(rt?.initPid, 100);
  assert.deepEqual(rt?.addresses, ['10.88.0.2']);
  assert.equal(readFileSync(join(containerPaths('web').upper, 'etc/hostname'), 'utf8'), 'web\n');
});

for (const [failAt, wantUndo] of [
  ['network db pid=100', ['undo: abort']],
  ['scope tsmachine-db.scope pids=100,99 mem=67108864', ['undo: network', 'undo: abort']],
  ['machined db leader=100 if=7', ['undo: stop tsmachine-db.scope', 'undo: network', 'undo: abort']],
  ['release', ['undo: terminate db', 'undo: stop tsmachine-db.scope', 'undo: network', 'undo: abort']],
] as const) {
  test(`a failure at "${failAt.split(' ')[0]}" undoes every earlier step in reverse and leaves no state`, async () => {
    const { deps, log } = recorder(failAt);
    await assert.rejects(startContainer(deps, spec('db'), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'db' } }), /failed/);
    assert.deepEqual(log.filter((l) => l.startsWith('undo:')), wantUndo);
    assert.equal(readRuntime('db'), null);
    assert.equal(existsSync(containerPaths('db').dir), false, 'a new container leaves no directory');
  });
}

test('a failure init reported while building its root is the error, not what systemd said after it', async () => {
  const initError = new KernelError({ stage: 'init', syscall: 'mount', what: 'overlay', errno: 2, path: '/var/lib/tsmachine/containers/fs/rootfs' });
  const { deps, log } = recorder('scope tsmachine-fs.scope pids=100,99 mem=67108864', undefined, initError);
  await assert.rejects(startContainer(deps, spec('fs'), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'fs' } }), (e) => e === initError);
  assert.deepEqual(log.filter((l) => l.startsWith('undo:')), ['undo: network', 'undo: abort']);
});

for (const what of ['unit', 'machine'] as const) {
  test(`a leftover ${what} of a crashed run (no state of ours) is cleaned and the start retried once`, async () => {
    const { deps, log } = recorder(undefined, what);
    const s = await startContainer(deps, spec(`left-${what}`), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'x' } });
    assert.equal(s.initPid, 100);
    assert.ok(log.includes(what === 'unit' ? `stale: stop tsmachine-left-${what}.scope` : `stale: terminate left-${what}`), log.join('\n'));
    assert.ok(log.includes('release'));
  });
}

test("the spec's seccomp profile and no_new_privs reach the init and, from the stored spec, every exec", async () => {
  const { deps } = recorder();
  const seen: string[] = [];
  const { spawnContainer } = deps.kernel;
  deps.kernel.spawnContainer = (req) => {
    seen.push(`spawn seccomp=${req.seccomp} nnp=${req.noNewPrivileges} caps=${req.capabilities?.toString(16)} mask=${req.maskPaths}`);
    return spawnContainer(req);
  };
  deps.kernel.execInContainer = (req) => {
    seen.push(`exec seccomp=${req.seccomp} nnp=${req.noNewPrivileges} caps=${req.capabilities?.toString(16)}`);
    return { pid: 200, release() { /* runs */ }, async wait() { return 0; }, abort() { /* unused */ } };
  };
  const confined = validateSpec('conf', { seccomp: 'unconfined', noNewPrivileges: 'yes' }, { onlineCpus: [0], exists: () => true, deviceKind: () => null });
  await startContainer(deps, confined, image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'conf' } });
  assert.equal(await execInContainer(deps, 'conf', { argv: ['id'], env: [] }, image, { interactive: true }), 0);
  await startContainer(deps, spec('plain'), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'plain' } });
  assert.equal(await execInContainer(deps, 'plain', { argv: ['id'], env: [] }, image, { interactive: true }), 0);
  const env = { onlineCpus: [0], exists: () => true, deviceKind: () => 'char' as const };
  const capped = validateSpec('capped', { capAdd: ['NET_ADMIN'], capDrop: ['CAP_MKNOD', 'chown'] }, env);
  await startContainer(deps, capped, image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'capped' } });
  assert.equal(await execInContainer(deps, 'capped', { argv: ['id'], env: [] }, image, { interactive: true }), 0);
  const root = validateSpec('root', { privileged: 'yes' }, env);
  await startContainer(deps, root, image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'root' } });
  assert.equal(await execInContainer(deps, 'root', { argv: ['id'], env: [] }, image, { interactive: true }), 0);
  // docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
  assert.deepEqual(seen, [
    'spawn seccomp=unconfined nnp=true caps=a80425fb mask=true', 'exec seccomp=unconfined nnp=true caps=a80425fb',
    'spawn seccomp=default nnp=false caps=a80425fb mask=true', 'exec seccomp=default nnp=false caps=a80425fb',
    'spawn seccomp=default nnp=false caps=a00435fa mask=true', 'exec seccomp=default nnp=false caps=a00435fa',
    'spawn seccomp=unconfined nnp=false caps=ffffffffffffffff mask=false', 'exec seccomp=unconfined nnp=false caps=ffffffffffffffff',
  ]);
});

test('the stored spec records a store image\'s layers and config; a restart of an older spec (id only) gains them', async () => {
  const { readStoredSpec, writeStoredSpec } = await import('../../src/state/container.js');
  const storeImg = { name: 'app', id: `sha256:${'a'.repeat(64)}`, layers: ['/store/l/1', '/store/l/2'], source: 'store' as const,
    diffIds: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`], config: image.config };
  await startContainer(recorder().deps, spec('rec'), storeImg, { mode: 'detached', stdio: { kind: 'journal', identifier: 'rec' } });
  const s = readStoredSpec('rec')!;
  assert.equal(s.imageId, storeImg.id);
  assert.deepEqual(s.image, { layers: storeImg.diffIds, config: image.config });

  // A spec as written before StoredImage: imageId only. Restarted, it records what it now stands on.
  const old = { spec: spec('old'), created: '2026-01-01T00:00:00Z', imageId: storeImg.id };
  writeStoredSpec('old', old);
  await startContainer(recorder().deps, old.spec, storeImg, { mode: 'detached', stdio: { kind: 'journal', identifier: 'old' }, existing: old });
  const upgraded = readStoredSpec('old')!;
  assert.equal(upgraded.created, old.created);
  assert.deepEqual(upgraded.image?.layers, storeImg.diffIds);

  // A directory image records no layers (and drops any it had).
  await startContainer(recorder().deps, upgraded.spec, image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'old' }, existing: upgraded });
  assert.deepEqual(readStoredSpec('old'), { ...old, imageId: 'builtin:httpd' });
});

test('Runtime.start closes the bus session it opened exactly once, also when the start is refused before using it', async () => {
  const { Runtime } = await import('../../src/runtime/runtime.js');
  const { deps, log } = recorder();
  const rt = new Runtime(deps);
  // Refused before startContainer: a bad option here, or no systemd on a host like this one.
  // (As root, so that the root check does not refuse it before the session is opened.)
  const getuid = process.getuid;
  process.getuid = () => 0;
  try {
    await assert.rejects(rt.start('closing', { memory: 'lots' }));
  } finally {
    process.getuid = getuid;
  }
  await new Promise((r) => setTimeout(r, 10)); // the close follows the session's promise
  assert.deepEqual(log.filter((l) => l === 'close'), ['close']);
});

test('lxcfs mounted: its files are bound first, read-only, and runtime.json records procView; --lxcfs yes without it fails before anything is made', async () => {
  const lxcfs = join(root, 'lxcfs');
  mkdirSync(join(lxcfs, 'proc'), { recursive: true });
  mkdirSync(join(lxcfs, 'sys/devices/system/cpu'), { recursive: true });
  for (const f of ['meminfo', 'uptime', 'cpuinfo', 'future-file']) writeFileSync(join(lxcfs, 'proc', f), '');
  writeFileSync(join(lxcfs, 'sys/devices/system/cpu/online'), '');
  const { deps, log } = recorder();
  // The host's lxcfs as the mount table would show it mounted on the fake directory.
  const { procViewFor } = await import('../../src/runtime/proc-view.js');
  let cache: Parameters<import('../../src/runtime/proc-view.js').ProcViewHost['writeCache']>[0] | null = null;
  const host = {
    dir: lxcfs,
    mountinfo: () => (existsSync(lxcfs) ? `40 22 0:39 / ${lxcfs} rw - fuse.lxcfs lxcfs rw\n` : ''),
    readCache: () => cache,
    writeCache: (c: NonNullable<typeof cache>) => { cache = c; },
  };
  deps.procView = (mode) => procViewFor(mode, host);
  const binds: string[] = [];
  const { spawnContainer } = deps.kernel;
  deps.kernel.spawnContainer = (req) => {
    binds.push(...req.binds.map((b) => `${b.source}:${b.target}${b.readonly ? ':ro' : ''}`));
    return spawnContainer(req);
  };
  const env = { onlineCpus: [0], exists: () => true, deviceKind: () => null };
  await startContainer(deps, validateSpec('pv', { bind: ['/srv:/srv'] }, env), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'pv' } });
  assert.deepEqual(binds, [
    `${lxcfs}/proc/meminfo:/proc/meminfo:ro`, `${lxcfs}/proc/cpuinfo:/proc/cpuinfo:ro`, `${lxcfs}/proc/uptime:/proc/uptime:ro`,
    `${lxcfs}/sys/devices/system/cpu/online:/sys/devices/system/cpu/online:ro`,
    '/srv:/srv',
  ]);
  assert.equal(readRuntime('pv')?.procView, true);

  binds.length = 0;
  await startContainer(deps, validateSpec('pv-no', { lxcfs: 'no' }, env), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'pv-no' } });
  assert.deepEqual(binds, []);
  assert.equal(readRuntime('pv-no')?.procView, false);

  rmSync(lxcfs, { recursive: true, force: true });
  const before = log.length;
  await assert.rejects(
    startContainer(deps, validateSpec('pv-yes', { lxcfs: 'yes' }, env), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'pv-yes' } }),
    /^ProcViewError: lxcfs is not running \(nothing mounted on .*\), which --lxcfs yes requires: systemctl enable --now lxcfs$/,
  );
  assert.deepEqual(log.slice(before).filter((l) => l !== 'close'), [], 'nothing forked, asked or undone');
  assert.equal(existsSync(containerPaths('pv-yes').dir), false);
  assert.equal(existsSync(containerPaths('pv-yes').run), false);

  await startContainer(deps, validateSpec('pv-auto', {}, env), image, { mode: 'detached', stdio: { kind: 'journal', identifier: 'pv-auto' } });
  assert.equal(readRuntime('pv-auto')?.procView, false, 'auto without lxcfs: starts, without the view');
});
