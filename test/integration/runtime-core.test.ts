/**
 * The core runtime against a real systemd, machined and kernel (issue 4).
 * Every claim is checked with systemd's own tools or the kernel's files, not
 * only with tsmachine's output. Networking is `none` here except where the
 * default is the point; the network suite covers bridge/NAT/ports.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { CLI, cgroupFile, run, tsmachine, unitProperty, waitUntil } from './helpers.js';

const sh = (cmd: string): string => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const units = (): string => sh("systemctl list-units --all --plain --no-legend 'tsmachine-*' | awk '{print $1}' | sort");
const mounts = (): string => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ').slice(4, 5).join('')).sort().join('\n');
const created: string[] = [];

async function start(name: string, ...args: string[]): Promise<{ leader: number }> {
  created.push(name);
  const r = await tsmachine(['start', name, ...args]);
  assert.equal(r.code, 0, `start ${name} failed: ${r.stderr}`);
  const st = JSON.parse((await tsmachine(['status', name, '--json'])).stdout);
  assert.equal(st.state, 'running');
  return { leader: st.leader };
}

after(async () => {
  for (const n of created) await tsmachine(['rm', '--force', n]);
});

test('start httpd: a scope in machine.slice with the limits, registered with machined, in new namespaces on overlay', async () => {
  const { leader } = await start('httpd', '--network', 'none', '--memory', '64M', '--cpus', '0.5', '--pids-limit', '32');
  const unit = 'tsmachine-httpd.scope';
  assert.equal(unitProperty(unit, 'Slice'), 'machine.slice');
  assert.equal(unitProperty(unit, 'ActiveState'), 'active');
  assert.equal(cgroupFile(unit, 'memory.max'), '67108864');
  assert.equal(cgroupFile(unit, 'cpu.max'), '50000 100000');
  assert.equal(cgroupFile(unit, 'pids.max'), '32');
  assert.ok(cgroupFile(unit, 'cgroup.procs').split('\n').includes(String(leader)), 'leader in the scope');

  const machines = sh('machinectl list --no-legend --no-pager');
  assert.match(machines, /^httpd\s+container\s+tsmachine/m);
  const show = sh('machinectl show httpd');
  assert.match(show, new RegExp(`^Leader=${leader}$`, 'm'));
  assert.match(show, /^Unit=tsmachine-httpd\.scope$/m);
  assert.match(sh('systemd-cgls --no-pager -u machine.slice'), /tsmachine-httpd\.scope/);

  for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'])
    assert.notEqual(readlinkSync(`/proc/${leader}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `${ns} namespace differs from the host's`);
  const rootMount = readFileSync(`/proc/${leader}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
  assert.match(rootMount ?? '', / - overlay overlay /, 'the root is an overlay');
  assert.equal(readFileSync(`/proc/${leader}/comm`, 'utf8').trim(), 'busybox', 'the payload is PID 1 of the container');

  const page = await waitUntil('the page served inside', async () => {
    const r = await tsmachine(['exec', 'httpd', 'wget', '-qO-', 'http://127.0.0.1/']);
    return r.code === 0 ? r : null;
  }, { timeoutMs: 20_000, intervalMs: 300 });
  assert.match(page.stdout, /Hello from a tsmachine container/);
  const inside = await tsmachine(['exec', 'httpd', 'sh', '-c', 'echo "$(hostname) $$ $(cat /proc/1/comm)"; ls /proc | grep -c "^[0-9]"']);
  const [first] = inside.stdout.split('\n');
  assert.match(first ?? '', /^httpd \d+ busybox$/);
});

test('exec joins the scope and returns the exit status; no Node process stays per container', async () => {
  const r = await tsmachine(['exec', 'httpd', 'sh', '-c', 'cat /proc/self/cgroup; exit 7']);
  assert.equal(r.code, 7);
  assert.match(r.stdout, /^0::\/$/m, "inside the container's cgroup namespace the process sits at its root, i.e. in the scope");
  const procs = cgroupFile('tsmachine-httpd.scope', 'cgroup.procs').split('\n');
  const comms = procs.map((p) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { return ''; } });
  assert.ok(!comms.includes('node'), `no node process in the scope: ${comms.join(',')}`);
  assert.ok(comms.includes('tsm-monitor'), `the native monitor is there: ${comms.join(',')}`);
});

test('two containers from one image do not see each other\'s writes', async () => {
  await start('twin-a', '--image', 'httpd', '--network', 'none');
  await start('twin-b', '--image', 'httpd', '--network', 'none');
  assert.equal((await tsmachine(['exec', 'twin-a', 'sh', '-c', 'echo a > /www/only-a'])).code, 0);
  assert.notEqual((await tsmachine(['exec', 'twin-b', 'cat', '/www/only-a'])).code, 0, 'b cannot see a\'s file');
  assert.ok(existsSync('/var/lib/tsmachine/containers/twin-a/upper/www/only-a'), 'the write landed in a\'s upper dir');
  assert.ok(!existsSync('/mnt/host/build/images/httpd/rootfs/www/only-a'), 'the image is untouched');
});

test('update changes the limit in cgroupfs and it survives daemon-reload', async () => {
  const r = await tsmachine(['update', 'twin-a', '--memory', '96M', '--pids-limit', '50']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cgroupFile('tsmachine-twin-a.scope', 'memory.max'), String(96 * 2 ** 20));
  sh('systemctl daemon-reload');
  assert.equal(cgroupFile('tsmachine-twin-a.scope', 'memory.max'), String(96 * 2 ** 20));
  assert.equal(cgroupFile('tsmachine-twin-a.scope', 'pids.max'), '50');
  const st = JSON.parse((await tsmachine(['status', 'twin-a', '--json'])).stdout);
  assert.equal(st.limits.memory, 96 * 2 ** 20, 'the stored spec keeps it for the next start');
});

test('stop removes scope and machine, keeps the container; start brings it back; rm removes everything', async () => {
  // busybox httpd, PID 1 with no SIGTERM handler, cannot be stopped by SIGTERM (the kernel drops
  // it): stop sees that in SigCgt and kills at once instead of waiting out --time.
  const t0 = Date.now();
  assert.equal((await tsmachine(['stop', 'twin-b', '--time', '300'], { timeoutMs: 400_000 })).code, 0);
  assert.ok(Date.now() - t0 < 120_000, `stop took ${Date.now() - t0} ms: it waited for a SIGTERM that could not work`);
  await waitUntil('scope gone', () => !units().includes('tsmachine-twin-b.scope'));
  assert.doesNotMatch(sh('machinectl list --no-legend --no-pager'), /^twin-b\s/m);
  const st = JSON.parse((await tsmachine(['status', 'twin-b', '--json'])).stdout);
  assert.equal(st.state, 'stopped');
  assert.equal(st.exitCode, 137, 'busybox httpd ignores SIGTERM as PID 1, so stop had to SIGKILL it');
  await start('twin-b');
  assert.equal((await tsmachine(['rm', '--force', 'twin-b'])).code, 0);
  assert.ok(!existsSync('/var/lib/tsmachine/containers/twin-b'));
  assert.ok(!existsSync('/run/tsmachine/twin-b'));
  assert.ok(!units().includes('tsmachine-twin-b.scope'));
});

/**
 * A CLI child's 'ready' on stdout and its exit status, both listened for
 * from the start: its exit may come before an await on something else
 * returns (the `kill` command below), and a listener added after the event
 * would wait forever.
 */
function watch(child: ChildProcess, what: string): { ready: Promise<void>; exit: Promise<number | null> } {
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
    void exit.then((code) => reject(new Error(`${what} ended (${code}) before it was ready: ${err}`)));
  });
  return { ready, exit };
}

test('run: the payload\'s exit status, 128+signal, and 137 for an OOM kill', async () => {
  assert.equal((await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', 'r1', '--', 'sh', '-c', 'exit 3'])).code, 3);
  created.push('r2', 'r5'); // if an assertion fails, after() still stops them (they hold our pipes)
  // A signal to the CLI reaches the payload (which handles it here: PID 1 ignores unhandled ones).
  const relayed = spawn(CLI, ['run', '--rm', '--network', 'none', '--image', 'httpd', 'r2', '--', 'sh', '-c', 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r2 = watch(relayed, 'run r2');
  await r2.ready;
  relayed.kill('SIGTERM');
  assert.equal(await r2.exit, 42);
  // Killed from outside by a signal: 128+signal.
  const killed = spawn(CLI, ['run', '--rm', '--network', 'none', '--image', 'httpd', 'r5', '--', 'sh', '-c', 'echo ready; exec sleep 1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r5 = watch(killed, 'run r5');
  await r5.ready;
  assert.equal((await tsmachine(['kill', 'r5', '--signal', 'KILL'])).code, 0);
  assert.equal(await r5.exit, 128 + 9);
  const out = await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', 'r3', '--', 'echo', 'hello from run']);
  assert.equal(out.code, 0);
  assert.equal(out.stdout.trim(), 'hello from run');
  const oom = await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', '--memory', '16M', 'r4', '--', 'sh', '-c', 'tail /dev/zero'], { timeoutMs: 120_000 });
  assert.equal(oom.code, 137, oom.stderr);
  assert.ok(!existsSync('/var/lib/tsmachine/containers/r4'), '--rm removed it');
});

test('seccomp and no_new_privs through the CLI: the default filter, --seccomp unconfined, --no-new-privileges, and exec alike', async () => {
  const probe = ['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; unshare -U true 2>/dev/null && echo userns=ok || echo userns=denied'];
  const def = await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', 'sc1', '--', ...probe]);
  assert.equal(def.code, 0, def.stderr);
  assert.match(def.stdout, /^Seccomp:\s+2$/m);
  assert.match(def.stdout, /^NoNewPrivs:\s+0$/m);
  assert.match(def.stdout, /^userns=denied$/m, 'no user namespaces under the default filter');
  const loose = await tsmachine(['run', '--rm', '--network', 'none', '--image', 'httpd', '--seccomp', 'unconfined', '--no-new-privileges', 'sc2', '--', ...probe]);
  assert.equal(loose.code, 0, loose.stderr);
  assert.match(loose.stdout, /^Seccomp:\s+0$/m);
  assert.match(loose.stdout, /^NoNewPrivs:\s+1$/m);
  // exec takes the container's (stored) options, not its own defaults.
  const { leader } = await start('sc3', '--image', 'httpd', '--network', 'none', '--seccomp', 'unconfined', '--no-new-privileges');
  assert.match(readFileSync(`/proc/${leader}/status`, 'utf8'), /^Seccomp:\s+0$/m);
  const ex = await tsmachine(['exec', 'sc3', ...probe]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, /^Seccomp:\s+0$/m);
  assert.match(ex.stdout, /^NoNewPrivs:\s+1$/m);
  const ex2 = await tsmachine(['exec', 'httpd', ...probe]);
  assert.match(ex2.stdout, /^Seccomp:\s+2$/m, 'httpd was started with the default');
  assert.match(ex2.stdout, /^userns=denied$/m);
});

test('logs shows the payload\'s output from the journal, under the scope', async () => {
  await start('talker', '--image', 'httpd', '--network', 'none', '--', 'sh', '-c', 'echo to-stdout; echo to-stderr >&2; exec sleep 1000');
  const r = await waitUntil('both lines in the journal', async () => {
    const l = await tsmachine(['logs', 'talker']);
    return l.stdout.includes('to-stdout') && l.stdout.includes('to-stderr') ? l : null;
  }, { timeoutMs: 20_000, intervalMs: 500 });
  assert.equal(r.code, 0);
  assert.match(sh('journalctl -u tsmachine-talker.scope -o cat --no-pager'), /to-stdout/);
  assert.match(sh('journalctl -t talker -o cat --no-pager'), /to-stderr/, 'lines are tagged with the container name');
});

test('a container killed behind our back (kill -9, machinectl terminate) starts again cleanly', async () => {
  const { leader } = await start('phoenix', '--image', 'httpd', '--network', 'none');
  sh(`kill -9 ${leader}`);
  await waitUntil('stopped', async () => JSON.parse((await tsmachine(['status', 'phoenix', '--json'])).stdout).state === 'stopped');
  await start('phoenix');
  sh('machinectl terminate phoenix');
  await waitUntil('stopped after terminate', async () => JSON.parse((await tsmachine(['status', 'phoenix', '--json'])).stdout).state === 'stopped', { timeoutMs: 30_000 });
  await start('phoenix');
});

test('concurrent starts of one name: exactly one winner', async () => {
  created.push('race');
  const rs = await Promise.all([1, 2, 3].map(() => tsmachine(['start', 'race', '--image', 'httpd', '--network', 'none'])));
  const wins = rs.filter((r) => r.code === 0).length;
  assert.equal(wins, 1, rs.map((r) => `${r.code}: ${r.stderr.trim()}`).join(' | '));
  // A loser that looked after the winner wrote the spec is told the container exists (and that its options would not apply).
  for (const r of rs.filter((x) => x.code !== 0)) assert.match(r.stderr, /already (running|exists)|container race exists/);
});

test('bad input: one-line error, exit 125, no unit, mount or state left behind', async () => {
  const before = { units: units(), mounts: mounts() };
  const cases: [string[], RegExp][] = [
    [['start', 'bad1', '--image', 'httpd', '--memory', 'lots'], /^tsmachine: start bad1: --memory 'lots' is not a size$/],
    [['start', 'bad2', '--image', 'nope'], /no image 'nope'/],
    [['start', 'bad_3', '--image', 'httpd'], /container name 'bad_3' is not valid/],
    [['start', 'bad4', '--image', 'httpd', '--cpus', 'x'], /--cpus 'x' is not a number of CPUs/],
    [['start', 'bad5', '--image', 'httpd', '--cpuset-cpus', '0-99'], /--cpuset-cpus '0-99' names CPU/],
    [['start', 'bad6', '--image', 'httpd', '--bind', '/does/not/exist:/x'], /source \/does\/not\/exist does not exist/],
    [['start', 'bad7', '--image', 'httpd', '--network', 'none', '--', '/no/such/command'], /execve.*\/no\/such\/command|No such file/],
    [['start', 'nosuchimage'], /no image named 'nosuchimage'/],
    [['start', 'bad8', '--image', 'httpd', '--seccomp', 'strict'], /^tsmachine: start bad8: --seccomp 'strict' is not default or unconfined$/],
  ];
  for (const [args, re] of cases) {
    const r = await tsmachine(args);
    assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr.trim(), re);
  }
  assert.equal(units(), before.units, 'no unit left behind');
  assert.equal(mounts(), before.mounts, 'no mount left behind');
  for (const n of ['bad1', 'bad2', 'bad4', 'bad5', 'bad6', 'bad7', 'bad8'])
    assert.ok(!existsSync(`/var/lib/tsmachine/containers/${n}`) && !existsSync(`/run/tsmachine/${n}`), `no state for ${n}`);
  const notRoot = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', CLI, 'start', 'x', '--image', 'httpd']);
  assert.equal(notRoot.code, 125);
  assert.match(notRoot.stderr, /must run as root/);
});
