/**
 * tsmachine-oci under the conditions engines create: exec into a running
 * container, a create killed half-way, concurrent creates of one ID, errors
 * as one line and as --log JSON. Each case against crun too, where crun has
 * the behaviour.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machines, unitProperty, waitUntil } from './helpers.js';
import { RECEIVER, RUNTIMES, bundles, oci, readIf, stateOf, type Bundle, type Runtime } from './oci-helpers.js';

const { setup, cleanAll } = bundles('rob');
after(() => cleanAll());

async function running(rt: Runtime, args: string[], edit?: (c: Record<string, any>) => void): Promise<{ id: string; b: Bundle }> {
  const s = setup(rt, ['sh', '-c', `echo up > /out/up; ${args.join(' ')}`], edit);
  const c = await oci(rt, ['create', '--bundle', s.b.dir, s.id]);
  assert.equal(c.code, 0, `${rt.name} create: ${c.stderr}`);
  assert.equal((await oci(rt, ['start', s.id])).code, 0);
  await waitUntil('the payload', () => existsSync(join(s.b.out, 'up')));
  return s;
}

for (const rt of RUNTIMES) {
  test(`${rt.name}: exec CMD joins the container (its hostname, its scope) and exits with the command's status`, async () => {
    const { id } = await running(rt, ['sleep 1000'], (c) => { c.hostname = 'exec-box'; });
    const r = await oci(rt, ['exec', id, 'sh', '-c', 'hostname; cat /proc/self/cgroup; exit 5']);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /^exec-box$/m);
    const pid = (await stateOf(rt, id)).pid!;
    const scope = /0::(\S+)/.exec(readIf(`/proc/${pid}/cgroup`) ?? '')?.[1] ?? 'none';
    // In the container's cgroup namespace, rooted at (or under) its scope.
    assert.match(r.stdout, /^0::\//m);
    assert.ok(scope.includes(`ocitest-${id}.scope`), `init in the scope: ${scope}`);
  });

  test(`${rt.name}: exec --process FILE --detach --pid-file: the process runs in the container with its user, the host PID in the file`, async () => {
    const { id, b } = await running(rt, ['sleep 1000']);
    const proc = join(b.dir, 'process.json');
    writeFileSync(proc, JSON.stringify({
      terminal: false, user: { uid: 1000, gid: 1000 }, args: ['sh', '-c', 'id -u > /out/exec-uid; sleep 30'], env: ['PATH=/bin'], cwd: '/',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }, noNewPrivileges: true,
    }));
    const pidFile = join(b.dir, 'exec.pid');
    const r = await oci(rt, ['exec', '--process', proc, '--detach', '--pid-file', pidFile, id]);
    assert.equal(r.code, 0, r.stderr);
    // The shell creates the file before id writes to it.
    await waitUntil('the exec', () => (readIf(join(b.out, 'exec-uid')) ?? '').trim() !== '');
    assert.equal(readIf(join(b.out, 'exec-uid'))!.trim(), '1000');
    const pid = Number(readIf(pidFile));
    assert.ok(pid > 0 && existsSync(`/proc/${pid}`), 'the pid file names a live host process');
    assert.match(readIf(`/proc/${pid}/status`) ?? '', /^Uid:\s+1000\b/m);
    const initPid = (await stateOf(rt, id)).pid!;
    for (const ns of ['pid', 'mnt', 'net', 'uts', 'ipc']) assert.equal(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/${initPid}/ns/${ns}`), ns);
  });

  test(`${rt.name}: exec --tty --console-socket: the exec'd process gets its own pty`, async () => {
    const { id, b } = await running(rt, ['sleep 1000']);
    const sock = join(b.dir, 'exec-console.sock');
    const receiver = spawn(RECEIVER, [sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let got = '';
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => { got += d; });
    await waitUntil('the console socket', () => existsSync(sock));
    const r = await oci(rt, ['exec', '--tty', '--console-socket', sock, '--detach', id, 'sh', '-c', 'tty; sleep 0.3']);
    assert.equal(r.code, 0, r.stderr);
    await waitUntil('the pty output', () => /\/dev\/pts\/\d+/.test(got), { timeoutMs: 10_000 });
    receiver.kill();
  });

  test(`${rt.name}: a create killed half-way is cleaned by delete --force, and the ID can be created again`, async () => {
    const { id, b } = setup(rt, ['true'], (c) => { c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 30'] }] }; });
    const child = spawn(rt.bin, ['--root', rt.root, '--systemd-cgroup', 'create', '--bundle', b.dir, id], { stdio: 'ignore' });
    const unit = `ocitest-${id}.scope`;
    await waitUntil('the scope to exist (create is in its hook)', () => unitProperty(unit, 'ActiveState') === 'active', { timeoutMs: 20_000 });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const del = await oci(rt, ['delete', '--force', id]);
    assert.equal(del.code, 0, del.stderr);
    await waitUntil('the scope gone', () => ['inactive', ''].includes(unitProperty(unit, 'ActiveState')));
    assert.equal(existsSync(join(rt.root, id)), false, 'no state dir left');
    if (rt.name === 'tsmachine-oci') assert.equal((await machines()).some((m) => m.machine === id), false, 'no machine left');
    b.config.hooks = {};
    b.write();
    const again = await oci(rt, ['create', '--bundle', b.dir, id]);
    assert.equal(again.code, 0, again.stderr);
  });

  test(`${rt.name}: errors are one line; --log --log-format json gets them as JSON lines`, async (t) => {
    const { id, b } = setup(rt, ['true'], (c) => { c.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]; });
    const log = join(b.dir, 'runtime.log');
    const r = await oci(rt, ['--log', log, '--log-format', 'json', 'create', '--bundle', b.dir, id]);
    assert.notEqual(r.code, 0, 'an unknown rlimit is refused');
    assert.equal(existsSync(join(rt.root, id)), false, 'nothing created');
    const entries = (readIf(log) ?? '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string; time?: string });
    if (rt.name === 'crun' && entries.length === 0) {
      t.diagnostic(`crun logged nothing to --log; its stderr: ${r.stderr.trim()}`);
      return;
    }
    assert.ok(entries.some((e) => e.level === 'error' && /RLIMIT_BOGUS/.test(e.msg) && typeof e.time === 'string'), JSON.stringify(entries));
  });
}

test('tsmachine-oci: of concurrent creates of one ID exactly one wins; bad config.json is one clear line naming the field', async () => {
  const [ours] = RUNTIMES as [Runtime];
  const { id, b } = setup(ours, ['sleep', '100']);
  const results = await Promise.all(Array.from({ length: 4 }, () => oci(ours, ['create', '--bundle', b.dir, id])));
  assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => `${r.code} ${r.stderr}`).join('\n'));
  assert.equal((await stateOf(ours, id)).status, 'created');

  const bad = setup(ours, ['true'], (c) => { c.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]; });
  const r = await oci(ours, ['create', '--bundle', bad.b.dir, bad.id]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^tsmachine-oci: create \S+: config\.json: process\.rlimits\[0\]\.type 'RLIMIT_BOGUS'/);
  assert.equal(existsSync(join(ours.root, bad.id)), false);
});
