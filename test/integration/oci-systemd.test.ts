/**
 * tsmachine-oci and systemd: the scope `--systemd-cgroup` names, with
 * config.json's resources as unit properties (compared with crun's scope for
 * the same bundle), kill --all through the unit, machined registration
 * (crun has none), and nothing left after delete.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { cgroupFile, machines, unitProperty, waitUntil } from './helpers.js';
import { RUNTIMES, makeBundle, oci, stateOf, type Runtime } from './oci-helpers.js';

const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

const [ours, crun] = RUNTIMES as [Runtime, Runtime];

function limited(rt: Runtime, tag: string, args: string[]) {
  const id = `sd-${tag}-${rt.name.replace(/[^a-z]/g, '')}-${process.pid}`;
  const b = makeBundle(id, args, (c) => {
    c.linux.resources = {
      memory: { limit: 64 * 1024 * 1024 },
      cpu: { quota: 50_000, period: 100_000 },
      pids: { limit: 50 },
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
    };
  });
  cleanup.push(async () => { await oci(rt, ['delete', '--force', id]); b.remove(); });
  return { id, b, unit: `ocitest-${id}.scope` };
}

const props = ['Slice', 'Delegate', 'MemoryMax', 'TasksMax', 'CPUQuotaPerSecUSec', 'DevicePolicy'];

/**
 * The limit that holds for a process: the tightest value of `file` from its
 * own cgroup up to the root. crun 1.8 puts the payload in a `container`
 * child of the scope and writes the limits there; tsmachine-oci leaves them
 * to systemd on the scope itself.
 */
function effective(pid: number, file: string): string {
  let dir = `/sys/fs/cgroup${readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!.slice(3)}`;
  let best = 'max';
  for (; dir.startsWith('/sys/fs/cgroup/') ; dir = dir.slice(0, dir.lastIndexOf('/'))) {
    let v: string;
    try { v = readFileSync(`${dir}/${file}`, 'utf8').trim(); } catch { continue; }
    const n = v.split(' ')[0]!;
    if (n !== 'max' && (best === 'max' || Number(n) < Number(best.split(' ')[0]))) best = v;
  }
  return best;
}

test('the scope: SLICE:PREFIX:NAME, the resources as unit properties, the same limits in force as under crun', async (t) => {
  for (const rt of [crun, ours]) {
    const { id, b, unit } = limited(rt, 'limits', ['sh', '-c', 'echo up > /out/up; sleep 1000']);
    const c = await oci(rt, ['create', '--bundle', b.dir, id]);
    assert.equal(c.code, 0, `${rt.name}: ${c.stderr}`);
    assert.equal((await oci(rt, ['start', id])).code, 0);
    await waitUntil('the payload', () => existsSync(join(b.out, 'up')));
    const pid = (await stateOf(rt, id)).pid!;
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`machine\\.slice/${unit.replace(/\./g, '\\.')}`), `${rt.name}: init in the scope`);
    assert.equal(effective(pid, 'memory.max'), String(64 * 1024 * 1024), rt.name);
    assert.equal(effective(pid, 'pids.max'), '50', rt.name);
    assert.equal(effective(pid, 'cpu.max'), '50000 100000', rt.name);
    const seen = Object.fromEntries(props.map((p) => [p, unitProperty(unit, p)]));
    t.diagnostic(`${rt.name} ${unit}: ${JSON.stringify(seen)}`);
    if (rt === ours) {
      // On the scope itself, where systemd keeps them across daemon-reload.
      assert.deepEqual(seen, { Slice: 'machine.slice', Delegate: 'yes', MemoryMax: String(64 * 1024 * 1024), TasksMax: '50', CPUQuotaPerSecUSec: '500ms', DevicePolicy: 'strict' });
      assert.equal(cgroupFile(unit, 'memory.max'), String(64 * 1024 * 1024));
      assert.match(unitProperty(unit, 'DeviceAllow'), /\/dev\/char\/1:3 rwm|char-1:3/);
      execFileSync('systemctl', ['daemon-reload']);
      assert.equal(cgroupFile(unit, 'memory.max'), String(64 * 1024 * 1024), 'daemon-reload keeps the limit');
    }
  }
});

test('machined: the container is a machine while it runs (crun registers none); terminate ends in state stopped', async () => {
  const { id, b } = limited(ours, 'machine', ['sh', '-c', 'echo up > /out/up; sleep 1000']);
  assert.equal((await oci(ours, ['create', '--bundle', b.dir, id])).code, 0);
  assert.equal((await oci(ours, ['start', id])).code, 0);
  await waitUntil('the payload', () => existsSync(join(b.out, 'up')));
  const m = (await machines()).find((x) => x.machine === id);
  assert.ok(m, 'machinectl list shows it');
  assert.equal(m.class, 'container');
  const pid = (await stateOf(ours, id)).pid!;
  assert.equal(execFileSync('machinectl', ['show', id, '-p', 'Leader', '--value'], { encoding: 'utf8' }).trim(), String(pid));
  execFileSync('machinectl', ['terminate', id]);
  await waitUntil('stopped after machinectl terminate', async () => (await stateOf(ours, id)).status === 'stopped', { timeoutMs: 20_000 });
  assert.equal((await oci(ours, ['delete', id])).code, 0);
});

test('kill --all reaches every process of the scope; delete leaves no unit, machine or state dir', async () => {
  const { id, b, unit } = limited(ours, 'all', ['sh', '-c', 'sleep 1000 & sleep 1000 & echo up > /out/up; wait']);
  assert.equal((await oci(ours, ['create', '--bundle', b.dir, id])).code, 0);
  assert.equal((await oci(ours, ['start', id])).code, 0);
  await waitUntil('the payload', () => existsSync(join(b.out, 'up')));
  const procs = cgroupFile(unit, 'cgroup.procs').split('\n').filter(Boolean);
  assert.ok(procs.length >= 3, `three processes in the scope: ${procs}`);
  const ps = await oci(ours, ['ps', '--format', 'json', id]);
  assert.deepEqual((JSON.parse(ps.stdout) as number[]).map(String).sort(), [...procs].sort());
  assert.equal((await oci(ours, ['kill', '--all', id, 'KILL'])).code, 0);
  await waitUntil('every process gone', () => procs.every((p) => !existsSync(`/proc/${p}`) || /State:\s+Z/.test(readFileSync(`/proc/${p}/status`, 'utf8'))));
  await waitUntil('stopped', async () => (await stateOf(ours, id)).status === 'stopped');
  assert.equal((await oci(ours, ['delete', id])).code, 0);
  await waitUntil('the unit gone', () => ['inactive', ''].includes(unitProperty(unit, 'ActiveState')));
  assert.equal((await machines()).some((x) => x.machine === id), false, 'no machine left');
  assert.equal(existsSync(join(ours.root, id)), false, 'no state dir left');
});

test('pause and resume freeze the scope (FreezeUnit/ThawUnit); update --resources changes its limits', async () => {
  const { id, b, unit } = limited(ours, 'pause', ['sh', '-c', 'echo up > /out/up; sleep 1000']);
  assert.equal((await oci(ours, ['create', '--bundle', b.dir, id])).code, 0);
  assert.equal((await oci(ours, ['start', id])).code, 0);
  await waitUntil('the payload', () => existsSync(join(b.out, 'up')));
  assert.equal((await oci(ours, ['pause', id])).code, 0);
  assert.equal((await stateOf(ours, id)).status, 'paused');
  assert.match(cgroupFile(unit, 'cgroup.events'), /^frozen 1$/m);
  assert.equal((await oci(ours, ['resume', id])).code, 0);
  assert.equal((await stateOf(ours, id)).status, 'running');
  const u = await oci(ours, ['update', '--resources', '-', id], { input: JSON.stringify({ memory: { limit: 128 * 1024 * 1024 }, pids: { limit: 80 } }) });
  assert.equal(u.code, 0, u.stderr);
  assert.equal(cgroupFile(unit, 'memory.max'), String(128 * 1024 * 1024));
  assert.equal(cgroupFile(unit, 'pids.max'), '80');
});

test('without --systemd-cgroup a cgroupfs cgroupsPath is refused in one line, leaving nothing', async () => {
  const id = `sd-cgfs-${process.pid}`;
  const b = makeBundle(id, ['true'], (c) => { c.linux.cgroupsPath = `/tsmtest/${id}`; });
  cleanup.push(async () => b.remove());
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const p = execFileSync('sh', ['-c', `${ours.bin} --root ${ours.root} create --bundle ${b.dir} ${id} 2>&1; echo "rc=$?"`], { encoding: 'utf8' });
    resolve({ code: Number(/rc=(\d+)/.exec(p)![1]), stderr: p.replace(/rc=\d+\n?$/, '') });
  });
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /cgroupsPath/);
  assert.equal(existsSync(join(ours.root, id)), false);
});
