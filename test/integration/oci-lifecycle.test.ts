/**
 * tsmachine-oci's lifecycle against the runtime-spec (runtime.md), the
 * assertions of runtime-tools' validation/ ported: every case runs against
 * crun with the same bundle first (a case crun fails is a wrong case), then
 * against tsmachine-oci.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitUntil } from './helpers.js';
import { RECEIVER, RUNTIMES, bundles, oci, readIf, stateOf } from './oci-helpers.js';

const { setup, cleanAll } = bundles('life');
after(() => cleanAll());

const pidAlive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readIf(`/proc/${pid}/status`) ?? 'State: Z');

for (const rt of RUNTIMES) {
  test(`${rt.name}: create parks the init, start runs the payload with create's stdout, state follows created → running → stopped`, async () => {
    const { id, b } = setup(rt, ['sh', '-c', 'echo started > /out/mark; echo hello-from-payload; sleep 1']);
    const log = join(b.dir, 'stdout.log');
    const pidFile = join(b.dir, 'init.pid');
    const created = await oci(rt, ['create', '--bundle', b.dir, '--pid-file', pidFile, id], { stdoutFile: log });
    assert.equal(created.code, 0, `create: ${readIf(log)}`);
    assert.equal(readIf(log), '', 'create prints nothing on the stdout it hands to the container');
    const s1 = await stateOf(rt, id);
    assert.equal(s1.status, 'created');
    assert.equal(s1.id, id);
    assert.equal(s1.bundle, b.dir);
    assert.match(s1.ociVersion, /^1\.\d+\.\d+/);
    assert.ok(typeof s1.pid === 'number' && s1.pid > 0);
    assert.equal(readFileSync(pidFile, 'utf8'), String(s1.pid), 'pid file: the decimal PID, no newline');
    assert.ok(pidAlive(s1.pid!), 'init exists while created');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(existsSync(join(b.out, 'mark')), false, 'the payload has not run before start');

    const started = await oci(rt, ['start', id]);
    assert.equal(started.code, 0, started.stderr);
    await waitUntil('the payload to run', () => existsSync(join(b.out, 'mark')));
    assert.equal((await stateOf(rt, id)).status, 'running');
    const again = await oci(rt, ['start', id]);
    assert.notEqual(again.code, 0, 'a second start fails');
    await waitUntil('the container to stop', async () => (await stateOf(rt, id)).status === 'stopped', { timeoutMs: 15_000 });
    assert.match(readIf(log) ?? '', /hello-from-payload/);

    const del = await oci(rt, ['delete', id]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await oci(rt, ['state', id]);
    assert.notEqual(gone.code, 0);
    if (rt.name === 'tsmachine-oci') assert.match(gone.stderr, /does not exist/, 'podman matches these words');
  });

  for (const sig of ['TERM', '15', 'SIGTERM']) {
    test(`${rt.name}: kill ${sig} stops a running container even when nobody of ours reaps it`, async () => {
      const { id, b } = setup(rt, ['sh', '-c', 'trap "exit 0" TERM; echo up > /out/up; while :; do sleep 0.1; done']);
      assert.equal((await oci(rt, ['create', '--bundle', b.dir, id])).code, 0);
      assert.equal((await oci(rt, ['start', id])).code, 0);
      await waitUntil('the payload', () => existsSync(join(b.out, 'up')));
      const k = await oci(rt, ['kill', id, sig]);
      assert.equal(k.code, 0, k.stderr);
      await waitUntil('stopped', async () => (await stateOf(rt, id)).status === 'stopped', { timeoutMs: 10_000 });
      assert.equal((await oci(rt, ['delete', id])).code, 0);
    });
  }

  test(`${rt.name}: delete of a running container needs --force; with it, the scope goes too`, async () => {
    const { id, b } = setup(rt, ['sh', '-c', 'echo up > /out/up; sleep 1000']);
    assert.equal((await oci(rt, ['create', '--bundle', b.dir, id])).code, 0);
    assert.equal((await oci(rt, ['start', id])).code, 0);
    await waitUntil('the payload', () => existsSync(join(b.out, 'up')));
    const refused = await oci(rt, ['delete', id]);
    assert.notEqual(refused.code, 0, 'delete without --force refuses a running container');
    const s = await stateOf(rt, id);
    assert.equal(s.status, 'running', 'and leaves it running');
    const forced = await oci(rt, ['delete', '--force', id]);
    assert.equal(forced.code, 0, forced.stderr);
    await waitUntil('init gone', () => !pidAlive(s.pid!));
    assert.notEqual((await oci(rt, ['state', id])).code, 0);
  });

  test(`${rt.name}: a created container can be killed and deleted; unknown IDs fail`, async () => {
    const { id, b } = setup(rt, ['true']);
    assert.equal((await oci(rt, ['create', '--bundle', b.dir, id])).code, 0);
    assert.equal((await oci(rt, ['kill', id, 'KILL'])).code, 0);
    await waitUntil('stopped', async () => (await stateOf(rt, id)).status === 'stopped');
    assert.equal((await oci(rt, ['delete', id])).code, 0);
    for (const verb of [['state'], ['start'], ['kill'], ['delete']]) {
      const r = await oci(rt, [...verb, `no-such-${process.pid}`]);
      assert.notEqual(r.code, 0, `${verb[0]} of an unknown ID fails`);
    }
  });

  test(`${rt.name}: create of an ID in use fails and leaves the first container alone`, async () => {
    const { id, b } = setup(rt, ['sleep', '1000']);
    assert.equal((await oci(rt, ['create', '--bundle', b.dir, id])).code, 0);
    const second = await oci(rt, ['create', '--bundle', b.dir, id]);
    assert.notEqual(second.code, 0);
    assert.equal((await stateOf(rt, id)).status, 'created');
  });

  test(`${rt.name}: hooks run in the spec's order, each with the state on stdin`, async () => {
    const hooksFile = '/out/hooks';
    let hostFile = '';
    const { id, b } = setup(rt, ['sh', '-c', 'echo payload >> /out/hooks'], (c) => {
      hostFile = join(String(c.mounts.at(-1).source), 'hooks');
      const hook = (kind: string, file: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${file}.${kind}.json; echo ${kind} >> ${file}`], timeout: 10 });
      c.hooks = {
        prestart: [hook('prestart', hostFile)],
        createRuntime: [hook('createRuntime', hostFile)],
        createContainer: [hook('createContainer', hostFile)],
        startContainer: [hook('startContainer', hooksFile)],
        poststart: [hook('poststart', hostFile)],
        poststop: [hook('poststop', hostFile)],
      };
    });
    const c = await oci(rt, ['create', '--bundle', b.dir, id]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await oci(rt, ['start', id])).code, 0);
    await waitUntil('stopped', async () => (await stateOf(rt, id)).status === 'stopped', { timeoutMs: 15_000 });
    assert.equal((await oci(rt, ['delete', id])).code, 0);
    const order = (readIf(hostFile) ?? '').trim().split('\n');
    const at = (k: string): number => {
      const i = order.indexOf(k);
      assert.ok(i >= 0, `${k} ran (order: ${order.join(',')})`);
      return i;
    };
    assert.ok(at('prestart') < at('createContainer') && at('createRuntime') < at('createContainer'));
    assert.ok(at('createContainer') < at('startContainer') && at('startContainer') < at('payload'));
    assert.ok(at('createContainer') < at('poststart') && at('payload') < at('poststop') && at('poststart') < at('poststop'));
    for (const kind of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
      const st = JSON.parse(readIf(`${hostFile}.${kind}.json`) ?? '{}');
      assert.equal(st.id, id, `${kind} got the state`);
      assert.equal(st.bundle, b.dir);
    }
  });

  test(`${rt.name}: a failing createRuntime hook fails create and leaves nothing`, async () => {
    const { id, b } = setup(rt, ['true'], (c) => {
      c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] };
    });
    const r = await oci(rt, ['create', '--bundle', b.dir, id]);
    assert.notEqual(r.code, 0);
    assert.notEqual((await oci(rt, ['state', id])).code, 0, 'no container left');
    assert.equal(existsSync(join(rt.root, id)), false, 'no state dir left');
  });

  test(`${rt.name}: --console-socket receives the pty master; tty inside names /dev/pts`, async () => {
    const { id, b } = setup(rt, ['sh', '-c', 'tty; sleep 0.5'], (c) => { c.process.terminal = true; });
    const sock = join(b.dir, 'console.sock');
    const receiver = spawn(RECEIVER, [sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let got = '';
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => { got += d; });
    const ended = new Promise((r) => receiver.on('close', r));
    await waitUntil('the console socket', () => existsSync(sock));
    const c = await oci(rt, ['create', '--bundle', b.dir, '--console-socket', sock, id]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await oci(rt, ['start', id])).code, 0);
    await waitUntil('stopped', async () => (await stateOf(rt, id)).status === 'stopped', { timeoutMs: 15_000 });
    await Promise.race([ended, new Promise((r) => setTimeout(r, 5000))]);
    receiver.kill();
    assert.match(got, /received fd/);
    assert.match(got, /\/dev\/pts\/\d+/);
  });
}
