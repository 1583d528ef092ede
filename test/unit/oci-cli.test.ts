/**
 * tsmachine-oci's command line and its record, as pure tables: the global
 * flags engines pass (runc's spellings), signal names, IDs, and the record's
 * round trip with the process plan's bigints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGlobals } from '../../src/cli/oci/globals.js';
import { parseSignal } from '../../src/runtime/oci/signal.js';
import { checkId, OciStore, type OciRecord } from '../../src/runtime/oci/store.js';
import { slicePath } from '../../src/runtime/oci/leftover.js';

test('global flags: --x v, --x=v, -x v (urfave/cli), booleans with =true/false, up to the verb', () => {
  const cases: [string[], Record<string, string | true>, string[]][] = [
    [['--root', '/run/r', 'state', 'id'], { root: '/run/r' }, ['state', 'id']],
    [['--root=/run/r', '--log=/l', '--log-format', 'json', 'create', '--bundle', 'b', 'id'], { root: '/run/r', log: '/l', 'log-format': 'json' }, ['create', '--bundle', 'b', 'id']],
    [['-root', '/x', '--systemd-cgroup', 'delete', '--force', 'id'], { root: '/x', 'systemd-cgroup': true }, ['delete', '--force', 'id']],
    [['--systemd-cgroup=false', 'state', 'id'], {}, ['state', 'id']],
    [['--systemd-cgroup=true', '--debug', 'kill', 'id', '9'], { 'systemd-cgroup': true, debug: true }, ['kill', 'id', '9']],
    [['--version'], { version: true }, []],
    [['--rootless', 'false', 'ps', 'id'], { rootless: 'false' }, ['ps', 'id']],
  ];
  for (const [argv, opts, rest] of cases) {
    const g = parseGlobals(argv);
    assert.deepEqual(Object.fromEntries(g.opts), opts, argv.join(' '));
    assert.deepEqual(g.rest, rest, argv.join(' '));
  }
  for (const [argv, msg] of [[['--bogus', 'state'], /unknown global option --bogus/], [['--root'], /--root needs a value/], [['--debug=yes', 'state'], /--debug takes no value/]] as const) {
    assert.throws(() => parseGlobals([...argv]), msg);
  }
});

test('signals: names with and without SIG, numbers, TERM by default; garbage refused', () => {
  for (const [text, n] of [[undefined, 15], ['TERM', 15], ['SIGTERM', 15], ['15', 15], ['kill', 9], ['KILL', 9], ['9', 9], ['SIGUSR1', 10], ['hup', 1], ['64', 64]] as const) {
    assert.equal(parseSignal(text), n, String(text));
  }
  for (const bad of ['0', '65', 'SIGFOO', '-9', '1.5']) assert.throws(() => parseSignal(bad), /is not a signal/);
});

test("IDs: runc's alphabet; path tricks refused", () => {
  for (const ok of ['abc', 'a.b-c_d+e', '0123456789abcdef'.repeat(4)]) assert.equal(checkId(ok), ok);
  for (const bad of ['', '.', '..', 'a/b', 'a b', 'x\n', '../etc']) assert.throws(() => checkId(bad), /not a valid container ID/);
});

test('the record survives a round trip, bigints (capability masks, rlimits) included', () => {
  const root = mkdtempSync(join(tmpdir(), 'oci-store-'));
  try {
    const store = new OciStore(root);
    const r: OciRecord = {
      ociVersion: '1.1.0', id: 'c1', bundle: '/b', rootfs: '/b/rootfs', annotations: { a: 'b' }, phase: 'created',
      creator: { pid: 1, startTime: 2 }, pid: 3, pidStartTime: 4, unit: 'x-c1.scope', slice: 'machine.slice', machine: 'c1',
      created: '2026-01-01T00:00:00.000Z', poststart: [], poststop: [{ path: '/bin/true', args: [], env: [] }],
      process: { capabilities: { bounding: (1n << 40n) | 1n }, rlimits: [{ resource: 7, soft: 1024n, hard: (1n << 64n) - 1n }] },
    };
    assert.equal(store.claim(r), true);
    assert.deepEqual(store.read('c1'), r, 'the claim brings the first record');
    assert.equal(store.claim({ ...r, pid: 99 }), false, 'a second claim of one ID loses');
    assert.equal(store.read('c1')!.pid, 3, 'and changes nothing');
    store.write({ ...r, phase: 'started' });
    assert.equal(store.read('c1')!.phase, 'started');
    store.write(r);
    assert.deepEqual(store.read('c1'), r);
    assert.deepEqual(store.ids(), ['c1'], 'no temporary directory left, none listed');
    store.writeFast('c1', { pid: 42, start: 4242, cgroup: '/sys/fs/cgroup/machine.slice/x.scope', poststart: false, poststop: true });
    assert.equal(readFileSync(join(root, 'c1', 'fast'), 'utf8'), 'pid=42\nstart=4242\ncgroup=/sys/fs/cgroup/machine.slice/x.scope\npoststart=0\npoststop=1\n', "the native front end's summary");
    store.remove('c1');
    assert.equal(store.read('c1'), null);
    assert.throws(() => store.get('c1'), /container c1 does not exist/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("slices nest by their dashes (systemd.slice(5)): where a scope's cgroup is", () => {
  assert.deepEqual(slicePath('machine.slice'), ['machine.slice']);
  assert.deepEqual(slicePath('system.slice'), ['system.slice']);
  assert.deepEqual(slicePath('a-b-c.slice'), ['a.slice', 'a-b.slice', 'a-b-c.slice']);
  assert.deepEqual(slicePath('-.slice'), []);
});
