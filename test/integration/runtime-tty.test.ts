/**
 * Interactive use like docker/podman (issue 4): -t gives the payload a pty
 * of the container's own devpts, -i attaches stdin, and the security
 * baseline applies to run and exec. The CLI needs a terminal of its own for
 * -t to mean anything: util-linux `script` gives it one (the guest has no
 * python3 pty module). Output through a pty has \r\n line ends.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, run, tsmachine, waitUntil } from './helpers.js';

const created: string[] = [];
const NET = ['--network', 'none', '--image', 'httpd'];

after(async () => {
  for (const n of created) await tsmachine(['rm', '--force', n]);
});

/** A shell word for `script -c`, which runs its command with sh -c. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const cli = (...args: string[]): string => [CLI, ...args].map(q).join(' ');

/** Runs a shell command line on a new terminal (script's pty) and returns its exit status and what the terminal showed. */
function onTerminal(cmdline: string, input = ''): Promise<{ code: number; out: string }> {
  return run('script', ['-qec', cmdline, '/dev/null'], { input, timeoutMs: 60_000 }).then((r) => ({ code: r.code, out: r.stdout + r.stderr }));
}

// Two ptys in a row (the payload's, then script's) may each turn \n into \r\n.
const lines = (s: string): string[] => s.split('\n').map((l) => l.replace(/\r+$/, ''));

test('run -t: the payload sees /dev/pts/N of the container with the terminal\'s size; its exit status passes', async () => {
  created.push('tty-run');
  const r = await onTerminal(`stty rows 40 cols 100; ${cli('run', '--rm', '-t', ...NET, 'tty-run', '--', 'sh', '-c', 'tty; stty size; [ -t 0 ] && echo stdin-tty; exit 3')}`);
  assert.equal(r.code, 3, r.out);
  const out = lines(r.out);
  assert.ok(out.some((l) => /^\/dev\/pts\/\d+$/.test(l)), r.out);
  assert.ok(out.includes('40 100'), `window size passed on: ${r.out}`);
  assert.ok(out.includes('stdin-tty'), r.out);
});

test('run -t without a terminal still gives the payload a pty (like docker)', async () => {
  created.push('tty-pipe');
  const r = await tsmachine(['run', '--rm', '-t', ...NET, 'tty-pipe', '--', 'sh', '-c', 'tty; exit 0']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\/dev\/pts\/\d+\r?$/m);
});

test('run -it: the local terminal is raw while the payload runs (one echo, ^C as a byte) and restored after', async () => {
  created.push('tty-it');
  const script = "trap 'echo got-int; exit 130' INT; echo ready; read line; echo got=$line; while :; do sleep 0.1; done";
  const child = spawn('script', ['-qec', `${cli('run', '--rm', '-it', ...NET, 'tty-it', '--', 'sh', '-c', script)}; stty -a`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  try {
    await waitUntil('ready', () => out.includes('ready'), { timeoutMs: 30_000 });
    child.stdin.write('hello\r');
    await waitUntil('got=hello', () => out.includes('got=hello'), { timeoutMs: 10_000 });
    // A cooked local terminal would echo "hello" too: only the payload's pty may.
    assert.equal(out.split('hello').length - 1, 2, `typed text echoed once (plus got=hello): ${JSON.stringify(out)}`);
    child.stdin.write('\x03');
    await waitUntil('got-int', () => out.includes('got-int'), { timeoutMs: 10_000 });
    child.stdin.end();
    assert.equal(await exited, 0, out); // script returns the status of its last command, stty
    const stty = out.slice(out.indexOf('got-int'));
    assert.match(stty, /(^|\s)icanon(\s|$)/m, `canonical mode restored: ${stty}`);
    assert.match(stty, /(^|\s)echo(\s|$)/m, `echo restored: ${stty}`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('exec -t shows /dev/pts/N; exec without -i reads EOF; exec -i and run -i pass stdin through', async () => {
  created.push('tty-exec');
  const started = await tsmachine(['start', 'tty-exec', ...NET, '--', 'sleep', '100000']);
  assert.equal(started.code, 0, started.stderr);
  const t = await onTerminal(cli('exec', '-t', 'tty-exec', 'sh', '-c', 'tty; exit 4'));
  assert.equal(t.code, 4, t.out);
  assert.match(t.out, /^\/dev\/pts\/\d+\r?$/m);

  const noI = await tsmachine(['exec', 'tty-exec', 'cat'], { input: 'not for cat\n', timeoutMs: 20_000 });
  assert.equal(noI.code, 0, noI.stderr);
  assert.equal(noI.stdout, '', 'without -i the command reads /dev/null');
  const withI = await tsmachine(['exec', '-i', 'tty-exec', 'cat'], { input: 'hi\n' });
  assert.equal(withI.stdout, 'hi\n', withI.stderr);

  created.push('tty-runi');
  const r = await run('sh', ['-c', `echo hi | ${cli('run', '--rm', '-i', ...NET, 'tty-runi', '--', 'cat')}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
});

test("run and exec have docker's capabilities and masked /proc paths", async () => {
  created.push('caps');
  const started = await tsmachine(['start', 'caps', ...NET]);
  assert.equal(started.code, 0, started.stderr);
  const inside = await tsmachine(['exec', 'caps', 'sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status; hostname other || echo hostname=EPERM; wc -c < /proc/keys; echo 1 > /proc/sys/kernel/sysrq || echo sys=ro']);
  assert.match(inside.stdout, /^CapEff:\s+00000000a80425fb$/m, inside.stderr);
  assert.match(inside.stdout, /^CapBnd:\s+00000000a80425fb$/m);
  assert.match(inside.stdout, /^hostname=EPERM$/m);
  assert.match(inside.stdout, /^0$/m, '/proc/keys reads as /dev/null');
  assert.match(inside.stdout, /^sys=ro$/m);
  // The httpd payload (PID 1) runs with the same set and still serves on port 80.
  const leader = JSON.parse((await tsmachine(['status', 'caps', '--json'])).stdout).leader as number;
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync(`/proc/${leader}/status`, 'utf8'), /^CapEff:\s+00000000a80425fb$/m);
  const page = await waitUntil('httpd answers on port 80', async () => {
    const w = await tsmachine(['exec', 'caps', 'wget', '-qO-', 'http://127.0.0.1/']);
    return w.code === 0 ? w : null;
  }, { timeoutMs: 20_000, intervalMs: 300 });
  assert.match(page.stdout, /Hello from a tsmachine container/);
});
