import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';

/**
 * native/frontend/tsm-oci.c, tsmachine-oci's front end: start, kill and the
 * delete of a stopped container done from ROOT/ID/fast without Node, and
 * everything else handed to the Node entry with the arguments unchanged.
 * The binary runs from a copy in a temporary tree whose
 * ../../bin/tsmachine-oci.cjs is a shell script that records its arguments
 * and exits 42, so a fast path is proven by the absence of that record.
 */
const BINARY = join(ROOT, 'native', 'build', 'tsm-oci');
const skip = !existsSync(BINARY) ? 'needs npm run build (native/build/tsm-oci)' : process.getuid?.() !== 0 ? 'the test signals and spawns as root' : false;

let tree = '';
let front = '';
let entry = '';
let marker = '';
let state = '';
const children: ChildProcess[] = [];

before(() => {
  if (skip) return;
  tree = mkdtempSync(join(tmpdir(), 'tsm-front-'));
  mkdirSync(join(tree, 'native', 'build'), { recursive: true });
  mkdirSync(join(tree, 'bin'));
  front = join(tree, 'native', 'build', 'tsm-oci');
  copyFileSync(BINARY, front);
  chmodSync(front, 0o755);
  entry = join(tree, 'bin', 'tsmachine-oci.cjs');
  marker = join(tree, 'marker');
  writeFileSync(entry, `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > '${marker}'\nexit 42\n`, { mode: 0o755 });
  state = join(tree, 'run');
  mkdirSync(state);
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (tree) rmSync(tree, { recursive: true, force: true });
});

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]!;
}

/** Read while alive: containers of a dead init still name what it was. */
const starts = new Map<ChildProcess, string>();

/** A live stand-in for a container's init. */
function sleeper(): ChildProcess {
  const c = spawn('sleep', ['100'], { stdio: 'ignore' });
  children.push(c);
  starts.set(c, startTime(c.pid!));
  return c;
}

async function dead(c: ChildProcess): Promise<void> {
  c.kill('SIGKILL');
  if (c.exitCode === null && c.signalCode === null) await once(c, 'exit');
}

interface Fake {
  id: string;
  dir: string;
  fifo: string;
}

let serial = 0;
/** ROOT/ID as create leaves it: fast, lock, exec.fifo. */
function container(init: ChildProcess, fast: Partial<Record<'poststart' | 'poststop' | 'cgroup', string>> = {}, withFast = true): Fake {
  const id = `c${++serial}`;
  const dir = join(state, id);
  mkdirSync(dir);
  const fifo = join(dir, 'exec.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  writeFileSync(join(dir, 'lock'), '');
  writeFileSync(join(dir, 'record.json'), '{}');
  const fields = { pid: String(init.pid), start: starts.get(init)!, cgroup: join(tree, 'no-such-scope'), poststart: '0', poststop: '0', ...fast };
  if (withFast) writeFileSync(join(dir, 'fast'), Object.entries(fields).map(([k, v]) => `${k}=${v}\n`).join(''));
  return { id, dir, fifo };
}

function run(args: string[]): { code: number | null; node: string[] | null; stderr: string } {
  rmSync(marker, { force: true });
  const r = spawnSync(front, args, { encoding: 'utf8', timeout: 20_000 });
  const node = existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').slice(0, -1) : null;
  return { code: r.status, node, stderr: r.stderr };
}

/** The Node entry ran, under its own name, with exactly these arguments. */
function fellBack(args: string[]): void {
  const r = run(args);
  assert.equal(r.code, 42, `fell back to Node for ${args.join(' ')}: ${r.stderr}`);
  assert.deepEqual(r.node, [entry, ...args]);
}

function fast(args: string[]): void {
  const r = run(args);
  assert.equal(r.node, null, `no Node for ${args.join(' ')}`);
  assert.equal(r.code, 0, r.stderr);
}

test('start releases the writer blocked on exec.fifo and removes the fifo, without Node', { skip }, async () => {
  const init = sleeper();
  const c = container(init);
  // As init parks: blocked opening the fifo for writing, then writes one byte.
  const writer = spawn('sh', ['-c', `echo 0 > '${c.fifo}'`], { stdio: 'ignore' });
  children.push(writer);
  assert.equal(writer.exitCode, null);
  fast(['--root', state, 'start', c.id]);
  const [code] = await once(writer, 'exit');
  assert.equal(code, 0, 'the writer got through');
  assert.equal(existsSync(c.fifo), false, 'the fifo is gone');
  assert.equal(existsSync(c.dir), true);
  // Started already: no fifo, so a second start is Node's to refuse.
  fellBack(['--root', state, 'start', c.id]);
  await dead(init);
});

test('start waits for the lock another start or delete holds', { skip }, async () => {
  const init = sleeper();
  const c = container(init);
  const holder = spawn('flock', ['-x', join(c.dir, 'lock'), '-c', 'echo held; sleep 0.5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(holder);
  await once(holder.stdout!, 'data');
  const writer = spawn('sh', ['-c', `echo 0 > '${c.fifo}'`], { stdio: 'ignore' });
  children.push(writer);
  const t0 = Date.now();
  fast(['--root', state, 'start', c.id]);
  assert.ok(Date.now() - t0 >= 300, 'start waited for the holder');
  await once(writer, 'exit');
  assert.equal(existsSync(c.fifo), false);
  await dead(init);
});

test('kill signals the init (names any case, with or without SIG, numbers; default TERM), without Node', { skip }, async () => {
  const cases: [string[], NodeJS.Signals][] = [[[], 'SIGTERM'], [['kill'], 'SIGKILL'], [['SIGusr1'], 'SIGUSR1'], [['2'], 'SIGINT'], [['hup'], 'SIGHUP']];
  for (const [sig, expected] of cases) {
    const init = sleeper();
    const c = container(init);
    const exited = once(init, 'exit');
    fast([`--root=${state}`, '--log', join(tree, 'log'), '--debug', '-log-format', 'json', 'kill', c.id, ...sig]);
    const [, signal] = await exited;
    assert.equal(signal, expected, `kill ${sig.join(' ')}`);
  }
  assert.equal(existsSync(join(tree, 'log')), false, 'nothing logged on the happy path');
});

test('delete removes the directory only when the init is dead and its scope cgroup gone', { skip }, async () => {
  const init = sleeper();
  const live = container(init);
  fellBack(['--root', state, 'delete', live.id]);
  fellBack(['--root', state, 'delete', '--force', live.id]);
  assert.equal(existsSync(live.dir), true);

  const scope = join(tree, 'scope');
  mkdirSync(scope);
  const withScope = container(init, { cgroup: scope });
  await dead(init);
  fellBack(['--root', state, 'delete', withScope.id]);
  assert.equal(existsSync(withScope.dir), true, 'a scope still there is systemd\'s: Node');

  const hooks = container(init, { poststop: '1' });
  fellBack(['--root', state, 'delete', hooks.id]);
  assert.equal(existsSync(hooks.dir), true);

  // A scope with processes left is Node's at once; an empty one is waited for a little.
  writeFileSync(join(scope, 'cgroup.events'), 'populated 1\nfrozen 0\n');
  let t0 = Date.now();
  fellBack(['--root', state, 'delete', withScope.id]);
  assert.ok(Date.now() - t0 < 250, 'no wait for a populated scope');
  writeFileSync(join(scope, 'cgroup.events'), 'populated 0\nfrozen 0\n');
  t0 = Date.now();
  fellBack(['--root', state, 'delete', withScope.id]);
  assert.ok(Date.now() - t0 >= 250, 'an empty scope was waited for');
  assert.equal(existsSync(withScope.dir), true);
  const collector = spawn('sh', ['-c', `sleep 0.1; rm -rf '${scope}'`], { stdio: 'ignore' });
  children.push(collector);
  fast(['--root', state, 'delete', withScope.id]);
  assert.equal(existsSync(withScope.dir), false, 'deleted once systemd (here: a shell) collected the scope');

  mkdirSync(join(live.dir, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(live.dir, 'sub', 'deeper', 'f'), 'x');
  fast(['--root', state, 'delete', live.id]);
  assert.equal(existsSync(live.dir), false);
  const forced = container(init);
  fast(['--root', state, 'delete', '-f', forced.id]);
  assert.equal(existsSync(forced.dir), false);
});

test('everything off the happy path execs the Node entry with the arguments unchanged', { skip }, async () => {
  const init = sleeper();
  const c = container(init);
  const hooked = container(init, { poststart: '1' });
  const bare = container(init, {}, false);
  fellBack(['--root', state, 'start', hooked.id]);
  assert.equal(existsSync(hooked.fifo), true);
  fellBack(['--root', state, 'start', bare.id]);
  fellBack(['--root', state, 'kill', bare.id]);
  fellBack(['--root', state, 'kill', '--all', c.id, 'KILL']);
  fellBack(['--root', state, 'kill', '-a', c.id]);
  fellBack(['--root', state, 'kill', c.id, 'NOSUCH']);
  fellBack(['--root', state, 'kill', c.id, '65']);
  fellBack(['--root', state, 'start', c.id, 'extra']);
  fellBack(['--root', state, 'start', '--help']);
  fellBack(['--root', state, 'state', c.id]);
  fellBack(['--root', state, 'frobnicate', c.id]);
  fellBack(['--no-such-flag', '--root', state, 'kill', c.id]);
  fellBack(['--debug=yes', '--root', state, 'kill', c.id]);
  fellBack(['--root']);
  fellBack(['--version']);
  fellBack(['-v']);
  fellBack([]);
  fellBack(['--root', state, 'kill', '../c1']);
  await dead(init);
  fellBack(['--root', state, 'start', c.id]);
  fellBack(['--root', state, 'kill', c.id]);
  assert.equal(existsSync(c.fifo), true);
});

test("the checkout's bin/tsmachine-oci falls through to the real Node program", { skip: skip || (!existsSync(join(ROOT, 'dist', 'tsmachine-oci.cjs')) && 'needs npm run build') }, () => {
  const r = spawnSync(join(ROOT, 'bin', 'tsmachine-oci'), ['--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^tsmachine-oci version /);
});
