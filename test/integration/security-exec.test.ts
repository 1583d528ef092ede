/**
 * exec hygiene (the security issue, part 2), with the real CLI in the VM:
 * - the stages are copies of Node until their execve: parked, they are not
 *   dumpable (their /proc/PID files are refused), the exec'd payload is;
 * - without -t no terminal of the caller's reaches the container: the
 *   payload has no controlling terminal (tty_nr 0, so no TIOCSTI into the
 *   admin's shell) and its stdio are pipes the CLI relays, while output,
 *   input and exit statuses still flow; -t still gives a pty;
 * - exec sees only fds 0, 1, 2;
 * - a FIFO at the container's /etc/passwd fails `exec -u` at once;
 * - in service mode (tsmachine@NAME.service) an exec'd process joins the
 *   service's cgroup, the container's.
 * `script` (util-linux) gives the CLI a terminal, as runtime-tty.test.ts does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cgroupDir, installDeb, ok, packageTestsSkip, run, tsmachine, waitUntil, TRAP_PAYLOAD } from './helpers.js';
import { GUARDED, readAsPeer, startParkedHelper } from '../host/kernel-parked-probe.js';

const NAME = 'secexec';
const NET = ['--network', 'none', '--image', 'httpd'];
const created: string[] = [];

before(async () => {
  created.push(NAME);
  ok(await tsmachine(['start', NAME, ...NET, '--', 'sleep', '100000']), `start ${NAME}`);
});
after(async () => {
  for (const n of created) await tsmachine(['rm', '--force', n], { timeoutMs: 60_000 });
});

/** A shell word for `script -c`, which runs its command with sh -c. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const cli = (...args: string[]): string => [CLI, ...args].map(q).join(' ');

/** Runs a shell command line on a new terminal (script's pty): its exit status and what the terminal showed. */
function onTerminal(cmdline: string, input = ''): Promise<{ code: number; out: string }> {
  return run('script', ['-qec', cmdline, '/dev/null'], { input, timeoutMs: 60_000 }).then((r) => ({ code: r.code, out: r.stdout + r.stderr }));
}
const lines = (s: string): string[] => s.split('\n').map((l) => l.replace(/\r+$/, '')).filter(Boolean);

/** What the payload reports about its terminal and stdio: tty_nr, then where fds 0, 1, 2 lead. */
const PROBE = 'cut -d" " -f7 /proc/self/stat; for fd in 0 1 2; do echo "fd$fd=$(readlink /proc/self/fd/$fd)"; done';

test('the stages parked before execve are not dumpable; from inside the container too; the exec\'d payload is', async () => {
  const leader = JSON.parse(ok(await tsmachine(['status', NAME, '--json']), 'status')).leader as number;
  const h = await startParkedHelper(leader);
  try {
    const { parkedInit, parkedExec, execStage } = h.parked;
    // A reader with the stages' capabilities but CAP_SYS_PTRACE: refused for the dumpable flag alone.
    for (const [what, pid] of [['parked init', parkedInit], ['parked exec payload', parkedExec], ['exec stage', execStage]] as const) {
      for (const file of GUARDED.filter((g) => pid !== execStage || g !== 'fd/0')) {
        const r = readAsPeer(pid, file);
        assert.equal(r.ok, false, `${what} (${pid}): /proc/PID/${file} must be refused`);
      }
    }
    assert.deepEqual(readdirSync(`/proc/${execStage}/fd`), [], 'the exec stage holds no fds');
    // The parked exec payload is in the container's PID namespace: its PID there.
    const nspid = /^NSpid:\s+\d+\s+(\d+)$/m.exec(readFileSync(`/proc/${parkedExec}/status`, 'utf8'))?.[1];
    assert.ok(nspid, 'the parked exec has a PID in the container');
    const inside = await tsmachine(['exec', NAME, 'sh', '-c', `readlink /proc/${nspid}/exe || echo exe-refused; cat /proc/${nspid}/environ >/dev/null || echo environ-refused; readlink /proc/1/exe`]);
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(inside.stdout, /^exe-refused$/m, `container root cannot see the host's node binary: ${inside.stdout}`);
    assert.match(inside.stdout, /^environ-refused$/m, inside.stdout);
    assert.doesNotMatch(inside.stdout, /node/, inside.stdout);
    assert.match(inside.stdout, /^\/bin\/(busybox|sleep)$/m, 'the container\'s own (exec\'d) PID 1 is readable');
    // Released: the payload is `sleep`, dumpable again.
    const execd = await h.release();
    for (const file of GUARDED) assert.equal(readAsPeer(execd, file).ok, true, `exec'd payload: ${file}`);
  } finally {
    assert.equal(await h.end(), 0);
  }
});

test('exec without -t on a terminal: no controlling terminal, stdio are relay pipes; output and exit status flow', async () => {
  const r = await onTerminal(cli('exec', NAME, 'sh', '-c', `${PROBE}; echo to-stderr >&2; exit 5`));
  assert.equal(r.code, 5, r.out);
  const out = lines(r.out);
  assert.equal(out[0], '0', `tty_nr 0: ${r.out}`);
  assert.ok(out.includes('fd0=/dev/null'), r.out);
  assert.match(r.out, /^fd1=pipe:\[\d+\]\r?$/m, `stdout is the relay's pipe, not the terminal: ${r.out}`);
  assert.match(r.out, /^fd2=pipe:\[\d+\]\r?$/m, r.out);
  assert.doesNotMatch(r.out, /\/dev\/pts/, 'no terminal of the caller\'s in the container');
  assert.ok(out.includes('to-stderr'), r.out);
});

test('exec -i on a terminal: typed input is relayed and ends with ^D; a piped stdin passes as it is', async () => {
  // script types HELLO's lowercase into its pty and EOF (^D) at its stdin's end; only tr can uppercase it
  const typed = await onTerminal(cli('exec', '-i', NAME, 'sh', '-c', 'readlink /proc/self/fd/0; tr a-z A-Z'), 'hello\n');
  assert.equal(typed.code, 0, typed.out);
  assert.match(typed.out, /^pipe:\[\d+\]\r?$/m, `stdin is the relay's pipe: ${typed.out}`);
  assert.match(typed.out, /^HELLO\r?$/m, typed.out);

  const piped = await onTerminal(`echo hi | ${cli('exec', '-i', NAME, 'cat')}`);
  assert.equal(piped.code, 0, piped.out);
  assert.deepEqual(lines(piped.out), ['hi']);
});

test('run --rm without -t on a terminal: no controlling terminal, /dev/console is /dev/null; output and status flow', async () => {
  created.push('secexec-run');
  const r = await onTerminal(cli('run', '--rm', ...NET, 'secexec-run', '--', 'sh', '-c', `${PROBE}; stat -c %t:%T /dev/console; exit 6`));
  assert.equal(r.code, 6, r.out);
  const out = lines(r.out);
  assert.equal(out[0], '0', `tty_nr 0: ${r.out}`);
  assert.match(r.out, /^fd1=pipe:\[\d+\]\r?$/m, r.out);
  assert.doesNotMatch(r.out, /\/dev\/pts/, r.out);
  assert.ok(out.includes('1:3'), `/dev/console is /dev/null (1:3): ${r.out}`);

  created.push('secexec-runi');
  const typed = await onTerminal(cli('run', '--rm', '-i', ...NET, 'secexec-runi', '--', 'tr', 'a-z', 'A-Z'), 'hello\n');
  assert.equal(typed.code, 0, typed.out);
  assert.match(typed.out, /^HELLO\r?$/m, typed.out);
});

test('-t still gives a pty that is the controlling terminal', async () => {
  const r = await onTerminal(cli('exec', '-t', NAME, 'sh', '-c', 'cut -d" " -f7 /proc/self/stat; tty; exit 4'));
  assert.equal(r.code, 4, r.out);
  const out = lines(r.out);
  assert.notEqual(out[0], '0', `a controlling terminal: ${r.out}`);
  assert.ok(out.some((l) => /^\/dev\/pts\/\d+$/.test(l)), r.out);
});

test('exec sees only fds 0, 1, 2 (plus ls\'s own directory), with pipes and on a terminal', async () => {
  const plain = await tsmachine(['exec', NAME, 'ls', '/proc/self/fd']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(plain.stdout.split(/\s+/).filter(Boolean), ['0', '1', '2', '3']);
  const relayed = await onTerminal(cli('exec', '-i', NAME, 'ls', '/proc/self/fd'));
  assert.equal(relayed.code, 0, relayed.out);
  assert.deepEqual(relayed.out.split(/\s+/).filter(Boolean), ['0', '1', '2', '3'], relayed.out);
});

test('a FIFO at the container\'s /etc/passwd fails exec -u at once with one line', async () => {
  const before = await tsmachine(['exec', '-u', 'nobody', NAME, 'id', '-u']);
  assert.equal(before.stdout.trim(), '65534', before.stderr);
  ok(await tsmachine(['exec', NAME, 'sh', '-c', 'cp /etc/passwd /etc/passwd.orig && rm /etc/passwd && mkfifo /etc/passwd']), 'mkfifo');
  try {
    const t0 = Date.now();
    const r = await tsmachine(['exec', '-u', 'nobody', NAME, 'true'], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 124, 'it must not hang on the FIFO');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^tsmachine: [^\n]*\/etc\/passwd is not a regular file\n$/, r.stderr);
    assert.ok(Date.now() - t0 < 20_000);
  } finally {
    ok(await tsmachine(['exec', NAME, 'sh', '-c', 'rm -f /etc/passwd && mv /etc/passwd.orig /etc/passwd']), 'restore');
  }
  assert.equal((await tsmachine(['exec', '-u', 'nobody', NAME, 'id', '-u'])).stdout.trim(), '65534');
});

const skipService = packageTestsSkip();
const SVC_NAME = 'secexecsvc';
const UNIT = `tsmachine@${SVC_NAME}.service`;
const SETTINGS = `/etc/tsmachine/${SVC_NAME}.tsmachine`;

test('service mode: an exec\'d process is in tsmachine@NAME.service\'s cgroup, the container\'s', { skip: skipService }, async () => {
  await installDeb();
  mkdirSync('/etc/tsmachine', { recursive: true });
  writeFileSync(SETTINGS, `${TRAP_PAYLOAD}[Files]\nImage=httpd\n\n[Network]\nMode=none\n`);
  let execd: ReturnType<typeof spawn> | null = null;
  try {
    ok(await run('systemctl', ['start', UNIT], { timeoutMs: 120_000 }), `systemctl start ${UNIT}`);
    // Inside: the cgroup namespace is rooted at the unit, so a process in it is at "/".
    const inside = await tsmachine(['exec', SVC_NAME, 'cat', '/proc/self/cgroup']);
    assert.equal(inside.code, 0, inside.stderr);
    // (the unified hierarchy's line: once systemd-nspawn has run a payload without systemd, as the
    // escape tests do, the host also has a named v1 "name=systemd" hierarchy, listed here too)
    const unified = (text: string): string | undefined => text.split('\n').find((l) => l.startsWith('0::'));
    assert.equal(unified(inside.stdout), '0::/', `in the container's cgroup: ${inside.stdout}`);
    // Outside: the host's view names the service.
    execd = spawn(CLI, ['exec', SVC_NAME, 'sleep', '4242'], { stdio: 'ignore' });
    const dir = cgroupDir(UNIT);
    const pid = await waitUntil('the exec\'d sleep in the unit\'s cgroup', () => procsUnder(dir).find((p) => cmdline(p) === 'sleep 4242'), { timeoutMs: 30_000 });
    assert.equal(unified(readFileSync(`/proc/${pid}/cgroup`, 'utf8')), `0::/machine.slice/${UNIT}`);
  } finally {
    execd?.kill('SIGTERM');
    await run('systemctl', ['stop', UNIT], { timeoutMs: 90_000 });
    await run(CLI, ['rm', '--force', SVC_NAME], { timeoutMs: 60_000 });
    rmSync(SETTINGS, { force: true });
  }
});

function procsUnder(dir: string): number[] {
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) pids.push(...procsUnder(join(dir, e.name)));
  return pids;
}

function cmdline(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { return ''; }
}
