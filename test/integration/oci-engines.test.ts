/**
 * podman 4.3, conmon 2.1.6 and containerd 1.6 driving tsmachine-oci, unchanged
 * (issue 18). Every podman, conmon and containerd case runs with crun first,
 * the reference (a case crun fails is a wrong case), then with tsmachine-oci
 * from this checkout, given by path as an engine takes an unregistered runtime.
 *
 * What the engines were seen to pass us: podman `--systemd-cgroup create
 * --bundle --pid-file [--console-socket]` through conmon, then `start`,
 * `exec --pid-file --process --detach [--tty]` (conmon), `kill ID 15|9`,
 * `pause`, `resume`, `update --resources=FILE`, `delete --force`, and no
 * other global flag (no --root, no --log: those go only to runtimes podman
 * knows by name); containerd's shim `--root /run/containerd/runc/NS --log
 * FILE --log-format json [--systemd-cgroup]` on every verb.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ok, unitProperty, waitUntil, type RunResult } from './helpers.js';
import { TSMACHINE_OCI, baseConfig, readIf } from './oci-helpers.js';

const ROOTFS = fileURLToPath(new URL('../../../build/images/httpd/rootfs', import.meta.url));
const IMAGE = 'localhost/tsm-engines:t';
const OUR_ROOT = '/run/tsmachine-oci'; // podman gives no --root: the default state directory

interface EngineRuntime { name: 'crun' | 'tsmachine-oci'; bin: string }
const RUNTIMES: EngineRuntime[] = [
  { name: 'crun', bin: '/usr/bin/crun' },
  { name: 'tsmachine-oci', bin: TSMACHINE_OCI },
];
const SLOW = { timeout: 600_000 };

/**
 * A command with stdout and stderr in files, done at its exit: conmon and
 * containerd's shims outlive the commands that start them and would hold a
 * pipe open. stdin stays an open pipe (script(1) ends a session at EOF).
 */
function cmd(file: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const dir = mkdtempSync('/tmp/engines-out-');
    const outFd = openSync(join(dir, 'out'), 'w'), errFd = openSync(join(dir, 'err'), 'w');
    const child = spawn(file, args, { stdio: ['pipe', outFd, errFd] });
    closeSync(outFd);
    closeSync(errFd);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 180_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      const stdout = readIf(join(dir, 'out')) ?? '', stderr = readIf(join(dir, 'err')) ?? '';
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: timedOut ? 124 : code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr: timedOut ? `${stderr}\n[killed after timeout]` : stderr });
    });
    child.stdin?.on('error', () => undefined);
  });
}
const podman = (rt: EngineRuntime | null, args: string[], opts?: { timeoutMs?: number }): Promise<RunResult> =>
  cmd('podman', [...(rt ? ['--runtime', rt.bin] : []), ...args], opts);
const ctr = (args: string[], opts?: { timeoutMs?: number }): Promise<RunResult> => cmd('ctr', args, opts);
const shq = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

let serial = 0;
const unique = (rt: EngineRuntime, what: string): string => `eng-${what}-${rt.name.replace(/[^a-z]/g, '')}-${process.pid}-${serial++}`;
function named(rt: EngineRuntime, what: string): string {
  const name = unique(rt, what);
  cleanup.push(() => podman(null, ['rm', '-f', '-t', '0', name]));
  return name;
}

const ownCgroup = (pid: number): string => /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '';

/** The limits in effect for a process: each cgroup file from its own cgroup up to the root. */
function cgroupChain(pid: number, file: string): string[] {
  const rel = ownCgroup(pid);
  const values: string[] = [];
  for (let p = rel; p !== '' && p !== '/'; p = p.slice(0, p.lastIndexOf('/'))) {
    const v = readIf(`/sys/fs/cgroup${p}/${file}`);
    if (v !== null) values.push(v.trim());
  }
  return values;
}
const inspect = async (name: string, format: string): Promise<string> =>
  ok(await podman(null, ['inspect', '-f', format, name]), `podman inspect ${name}`).trim();

before(async () => {
  // The image, made here: the guest has no network.
  const imp = await cmd('sh', ['-c', `podman rmi -f ${IMAGE} >/dev/null 2>&1; tar -C ${shq(ROOTFS)} -c . | podman import - ${IMAGE}`]);
  ok(imp, 'podman import');
});

for (const rt of RUNTIMES) {
  test(`podman ${rt.name}: run --rm prints the payload's output and exits with its code`, SLOW, async () => {
    const r = await podman(rt, ['run', '--rm', '--pull=never', IMAGE, 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
  });

  test(`podman ${rt.name}: run -d with limits on the bridge network; ps, inspect, exec, exec -it, logs, pause, update, stop, rm`, SLOW, async () => {
    const name = named(rt, 'life');
    const started = await podman(rt, ['run', '-d', '--name', name, '--pull=never', '-m', '64m', '--cpus', '0.5', '--pids-limit', '50',
      IMAGE, 'sh', '-c', 'echo logged-line; echo page > /tmp/index.html; httpd -p 8080 -h /tmp; exec sleep 1000']);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const unit = `libpod-${id}.scope`;

    const ps = ok(await podman(null, ['ps', '--format', '{{.Names}} {{.Status}}']), 'podman ps');
    assert.match(ps, new RegExp(`^${name} Up`, 'm'));
    const pid = Number(await inspect(name, '{{.State.Pid}}'));
    assert.ok(pid > 0, 'inspect gives the PID');
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`/machine.slice/${unit}(/|$)`, 'm'), "the PID is in the container's scope");
    if (rt.name === 'tsmachine-oci') {
      // crun registers nothing with machined: this part has no reference.
      const leader = ok(await cmd('machinectl', ['show', '-p', 'Leader', '--value', id]), 'machinectl show').trim();
      assert.equal(Number(leader), pid, "machined's leader is podman's PID");
      assert.match(ok(await cmd('machinectl', ['list', '--no-legend']), 'machinectl list'), new RegExp(`^${id}\\s+container\\s+tsmachine-oci`, 'm'));
      assert.equal(existsSync(join(OUR_ROOT, id)), true, 'state in the default root (podman passes no --root)');
    }

    // The limits in force for the payload; ours as properties of the scope
    // (crun writes them to a subgroup of it: the scope says infinity).
    if (rt.name === 'tsmachine-oci') {
      assert.equal(unitProperty(unit, 'MemoryMax'), '67108864');
      assert.equal(unitProperty(unit, 'TasksMax'), '50');
      assert.equal(unitProperty(unit, 'CPUQuotaPerSecUSec'), '500ms');
    }
    assert.ok(cgroupChain(pid, 'memory.max').includes('67108864'), `memory.max: ${cgroupChain(pid, 'memory.max')}`);
    assert.ok(cgroupChain(pid, 'pids.max').includes('50'), `pids.max: ${cgroupChain(pid, 'pids.max')}`);
    assert.ok(cgroupChain(pid, 'cpu.max').includes('50000 100000'), `cpu.max: ${cgroupChain(pid, 'cpu.max')}`);

    // netavark's bridge: podman prepared the netns; the host reaches the payload.
    const ip = await inspect(name, '{{.NetworkSettings.IPAddress}}');
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    const page = await waitUntil('httpd to answer', async () => {
      const r = await cmd('curl', ['-sS', '-m', '5', `http://${ip}:8080/index.html`]);
      return r.code === 0 ? r.stdout : null;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    assert.equal(page, 'page\n');

    const ex = await podman(null, ['exec', name, 'sh', '-c', 'echo inexec; exit 5']);
    assert.equal(ex.code, 5, ex.stderr);
    assert.equal(ex.stdout, 'inexec\n');
    // A terminal for exec -it: script(1) gives podman one; -e returns the child's status.
    const tty = await cmd('script', ['-eqc', `podman exec -it ${name} sh -c 'tty; exit 6'`, '/dev/null']);
    assert.equal(tty.code, 6, `${tty.stdout}${tty.stderr}`);
    assert.match(tty.stdout, /\/dev\/pts\/\d+/);

    const logs = ok(await podman(null, ['logs', name]), 'podman logs');
    assert.match(logs, /^logged-line$/m);

    ok(await podman(null, ['pause', name]), 'podman pause');
    assert.equal(await inspect(name, '{{.State.Status}}'), 'paused');
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^State:\s+[SD]/m);
    // Ours freezes the scope (FreezeUnit), crun the subgroup it put the payload in.
    assert.equal(readIf(`/sys/fs/cgroup${ownCgroup(pid)}/cgroup.events`)?.match(/^frozen (\d)/m)?.[1], '1', "the payload's cgroup is frozen");
    ok(await podman(null, ['unpause', name]), 'podman unpause');
    assert.equal(await inspect(name, '{{.State.Status}}'), 'running');

    const up = await podman(null, ['update', '--memory', '100m', name]);
    assert.equal(up.code, 0, up.stderr);
    assert.ok(cgroupChain(pid, 'memory.max').includes('104857600'), `after update, memory.max: ${cgroupChain(pid, 'memory.max')}`);

    // sleep as PID 1 ignores TERM: stop -t 2 ends in KILL.
    const t0 = Date.now();
    ok(await podman(null, ['stop', '-t', '2', name]), 'podman stop');
    assert.ok(Date.now() - t0 >= 2000, 'stop waited for the TERM timeout');
    assert.equal(await inspect(name, '{{.State.ExitCode}}'), '137');
    ok(await podman(null, ['rm', name]), 'podman rm');
    assert.equal(existsSync(`/sys/fs/cgroup/machine.slice/${unit}`), false, 'the scope is gone');
    assert.equal(existsSync(join(OUR_ROOT, id)), false, 'no state left');
    if (rt.name === 'tsmachine-oci') assert.notEqual((await cmd('machinectl', ['show', id])).code, 0, 'the machine is gone');
  });

  test(`podman ${rt.name}: --network none leaves only lo`, SLOW, async () => {
    const r = await podman(rt, ['run', '--rm', '--pull=never', '--network', 'none', IMAGE, 'ls', '/sys/class/net']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'lo');
  });

  test(`podman ${rt.name}: a payload killed by a signal exits 128+N (137 under run -it, 143 for TERM)`, SLOW, async () => {
    const name = named(rt, 'sig');
    const fg = cmd('script', ['-eqc', `podman --runtime ${rt.bin} run --rm -it --name ${name} --pull=never --network none ${IMAGE} sleep 1000`, '/dev/null']);
    await waitUntil('the -it container to run', async () => (await podman(null, ['inspect', '-f', '{{.State.Status}}', name])).stdout.trim() === 'running', { timeoutMs: 120_000, intervalMs: 500 });
    ok(await podman(null, ['kill', '-s', 'KILL', name]), 'podman kill');
    const r = await fg;
    assert.equal(r.code, 137, r.stdout);

    // Not PID 1 of a PID namespace (which ignores TERM without a handler): --pid host.
    const name2 = named(rt, 'term');
    ok(await podman(rt, ['run', '-d', '--name', name2, '--pull=never', '--network', 'none', '--pid', 'host', IMAGE, 'sleep', '1000']), 'run --pid host');
    ok(await podman(null, ['kill', '-s', 'TERM', name2]), 'podman kill TERM');
    assert.equal(ok(await podman(null, ['wait', name2]), 'podman wait').trim(), '143');
  });

  test(`conmon ${rt.name}: as conmon's tests run it, the exit file records 7, for the container and for -e --exec-process-spec`, SLOW, async () => {
    const id = unique(rt, 'conmon');
    const dir = mkdtempSync('/tmp/engines-conmon-');
    cleanup.push(async () => {
      await cmd(rt.bin, ['delete', '--force', id]);
      rmSync(dir, { recursive: true, force: true });
    });
    mkdirSync(join(dir, 'bundle'));
    ok(await cmd('cp', ['-a', ROOTFS, join(dir, 'bundle', 'rootfs')]), 'copy rootfs');
    const config = baseConfig(id, ['sh', '-c', 'exit 7']);
    config.linux.cgroupsPath = `machine.slice:conmontest:${id}`;
    const writeConfig = (): void => writeFileSync(join(dir, 'bundle', 'config.json'), JSON.stringify(config));
    writeConfig();
    // conmon links the bundle into the socket directory: it must exist.
    mkdirSync(join(dir, 'sock'));
    const conmon = (extra: string[], exitDir: string, pidFile: string): Promise<RunResult> => {
      mkdirSync(exitDir, { recursive: true });
      return cmd('conmon', ['--cid', id, '--cuuid', id, '--runtime', rt.bin, '--bundle', join(dir, 'bundle'), '--socket-dir-path', join(dir, 'sock'),
        '--container-pidfile', pidFile, '--conmon-pidfile', join(dir, `conmon-${extra.length}.pid`), '--exit-dir', exitDir,
        '--log-path', `k8s-file:${join(dir, 'ctr.log')}`, '--systemd-cgroup', ...extra]);
    };
    const exitFile = (exitDir: string): Promise<string> =>
      waitUntil('the exit file', () => readIf(join(exitDir, id)) || null, { timeoutMs: 60_000, intervalMs: 200 });

    // conmon forks away at once: the container exists when its PID file does.
    const c1 = await conmon([], join(dir, 'exit'), join(dir, 'init.pid'));
    assert.equal(c1.code, 0, c1.stderr);
    await waitUntil('the container PID file', () => existsSync(join(dir, 'init.pid')), { timeoutMs: 60_000, intervalMs: 200 });
    const st = ok(await cmd(rt.bin, ['start', id]), 'start');
    assert.equal(st, '');
    assert.equal((await exitFile(join(dir, 'exit'))).trim(), '7', 'conmon saw the payload exit 7 (it was its child)');
    ok(await cmd(rt.bin, ['delete', id]), 'delete');

    // exec through conmon: a running container, and a process spec.
    config.process.args = ['sleep', '1000'];
    writeConfig();
    const c2 = await conmon([], join(dir, 'exit2'), join(dir, 'init2.pid'));
    assert.equal(c2.code, 0, c2.stderr);
    await waitUntil('the container PID file', () => existsSync(join(dir, 'init2.pid')), { timeoutMs: 60_000, intervalMs: 200 });
    ok(await cmd(rt.bin, ['start', id]), 'start');
    writeFileSync(join(dir, 'process.json'), JSON.stringify({ ...config.process, args: ['sh', '-c', 'exit 7'] }));
    const c3 = await conmon(['-e', '--exec-process-spec', join(dir, 'process.json')], join(dir, 'exit3'), join(dir, 'exec.pid'));
    assert.equal(c3.code, 0, c3.stderr);
    assert.equal((await exitFile(join(dir, 'exit3'))).trim(), '7', 'the exec process exit status');
    assert.equal(JSON.parse(ok(await cmd(rt.bin, ['state', id]), 'state')).status, 'running', 'the container still runs');
    ok(await cmd(rt.bin, ['kill', id, 'KILL']), 'kill');
    assert.equal((await exitFile(join(dir, 'exit2'))).trim(), '137');
    ok(await cmd(rt.bin, ['delete', id]), 'delete');
  });
  test(`${rt.name}: delete --force of an unknown ID succeeds (containerd's shim runs it after a failed create); without --force it fails`, SLOW, async () => {
    const gone = `eng-nosuch-${process.pid}`;
    const forced = await cmd(rt.bin, ['delete', '--force', gone]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual((await cmd(rt.bin, ['delete', gone])).code, 0);
  });
}

// ---------------------------------------------------------------------------
// containerd 1.6: ctr with the runc shim (io.containerd.runc.v2) and --runc-binary.
let ctrImage = '';
async function ctrReady(): Promise<string> {
  if (ctrImage !== '') return ctrImage;
  ok(await cmd('systemctl', ['start', 'containerd']), 'start containerd');
  const archive = '/tmp/engines-bb.tar';
  rmSync(archive, { force: true });
  ok(await podman(null, ['save', '--format', 'docker-archive', '-o', archive, IMAGE]), 'podman save');
  ok(await ctr(['image', 'import', archive]), 'ctr image import');
  assert.match(ok(await ctr(['image', 'ls', '-q']), 'ctr image ls'), new RegExp(`^${IMAGE}$`, 'm'));
  ctrImage = IMAGE;
  return ctrImage;
}
function ctrId(rt: EngineRuntime, what: string): string {
  const id = unique(rt, `ctr-${what}`);
  cleanup.push(async () => {
    await ctr(['task', 'kill', '-s', 'KILL', id]);
    await ctr(['task', 'delete', '-f', id]);
    await ctr(['container', 'rm', id]);
  });
  return id;
}

for (const rt of RUNTIMES) {
  test(`containerd ${rt.name}: ctr run --rm --runc-systemd-cgroup exits with the payload's code; task ls, ps, exec, pause, kill, delete; --memory-limit`, SLOW, async () => {
    const img = await ctrReady();
    const id = ctrId(rt, 'rm');
    const r = await ctr(['run', '--rm', '--runc-binary', rt.bin, '--runc-systemd-cgroup', '--cgroup', `machine.slice:ctrtest:${id}`, img, id, 'sh', '-c', 'echo cin; exit 4']);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, 'cin\n');

    const id2 = ctrId(rt, 'd');
    const unit = `ctrtest-${id2}.scope`;
    const d = await ctr(['run', '-d', '--runc-binary', rt.bin, '--runc-systemd-cgroup', '--cgroup', `machine.slice:ctrtest:${id2}`, '--memory-limit', '67108864', img, id2, 'sleep', '1000']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(ok(await ctr(['task', 'ls']), 'task ls'), new RegExp(`^${id2}\\s+\\d+\\s+RUNNING`, 'm'));
    const pids = ok(await ctr(['task', 'ps', id2]), 'task ps (the runtime\'s ps --format json)');
    const pid = Number(/^(\d+)/m.exec(pids.split('\n').slice(1).join('\n'))?.[1]);
    assert.ok(pid > 0, pids);
    if (rt.name === 'tsmachine-oci') assert.equal(unitProperty(unit, 'MemoryMax'), '67108864');
    assert.ok(cgroupChain(pid, 'memory.max').includes('67108864'), `memory.max: ${cgroupChain(pid, 'memory.max')}`);
    const ex = await ctr(['task', 'exec', '--exec-id', `x${process.pid}`, id2, 'sh', '-c', 'exit 9']);
    assert.equal(ex.code, 9, ex.stderr);
    ok(await ctr(['task', 'pause', id2]), 'task pause');
    assert.match(ok(await ctr(['task', 'ls']), 'task ls'), new RegExp(`^${id2}\\s+\\d+\\s+PAUSED`, 'm'));
    ok(await ctr(['task', 'resume', id2]), 'task resume');
    ok(await ctr(['task', 'kill', '-s', 'KILL', id2]), 'task kill');
    await waitUntil('the task to stop', async () => new RegExp(`^${id2}\\s+\\d+\\s+STOPPED`, 'm').test((await ctr(['task', 'ls'])).stdout), { timeoutMs: 60_000, intervalMs: 500 });
    ok(await ctr(['task', 'delete', id2]), 'task delete');
    ok(await ctr(['container', 'rm', id2]), 'container rm');
    assert.equal(existsSync(`/sys/fs/cgroup/machine.slice/${unit}`), false, 'the scope is gone');
  });
}

test('containerd tsmachine-oci: without --runc-systemd-cgroup the cgroupfs path is refused, saying what to pass', SLOW, async () => {
  const img = await ctrReady();
  const rt = RUNTIMES[1]!;
  const id = ctrId(rt, 'fs');
  const r = await ctr(['run', '--rm', '--runc-binary', rt.bin, img, id, 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cgroupfs path/);
  assert.match(r.stderr, /--runc-systemd-cgroup|SystemdCgroup/);
  assert.doesNotMatch((await ctr(['task', 'ls'])).stdout, new RegExp(id));
});

// ---------------------------------------------------------------------------
// Reliability with podman on top (tsmachine-oci only: crun needs no proof here).
const ours = RUNTIMES[1]!;

test('podman tsmachine-oci: 20 run -d in parallel, then rm -f -a leaves no scope, machine, mount or state', SLOW, async () => {
  const names = Array.from({ length: 20 }, () => named(ours, 'par'));
  const runs = await Promise.all(names.map((n) => podman(ours, ['run', '-d', '--name', n, '--pull=never', '--network', 'none', IMAGE, 'sleep', '1000'], { timeoutMs: 480_000 })));
  runs.forEach((r, i) => assert.equal(r.code, 0, `${names[i]}: ${r.stderr}`));
  const ids = runs.map((r) => r.stdout.trim());
  for (const id of ids) assert.ok(existsSync(`/sys/fs/cgroup/machine.slice/libpod-${id}.scope`), `scope of ${id}`);
  const rm = await podman(null, ['rm', '-f', '-a', '-t', '0'], { timeoutMs: 480_000 });
  assert.equal(rm.code, 0, rm.stderr);
  const units = ok(await cmd('systemctl', ['list-units', '--all', '--no-legend', 'libpod-*']), 'list-units');
  const machinesOut = ok(await cmd('machinectl', ['list', '--no-legend']), 'machinectl list');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  const states = existsSync(OUR_ROOT) ? readdirSync(OUR_ROOT) : [];
  for (const id of ids) {
    assert.doesNotMatch(units, new RegExp(id), 'no unit left');
    assert.doesNotMatch(machinesOut, new RegExp(id), 'no machine left');
    assert.doesNotMatch(mounts, new RegExp(id), 'no mount left');
    assert.ok(!states.includes(id), 'no state dir left');
  }
});

for (const rt of RUNTIMES) {
  test(`podman ${rt.name}: kill -9 of conmon leaves a container that rm -f stops; its record stays, stopped, as crun's does`, SLOW, async () => {
    const name = named(rt, 'conmon9');
    const r = await podman(rt, ['run', '-d', '--name', name, '--pull=never', '--network', 'none', IMAGE, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    cleanup.push(() => cmd(rt.bin, ['delete', '--force', id]));
    const conmonPid = Number(await inspect(name, '{{.State.ConmonPid}}'));
    const pid = Number(await inspect(name, '{{.State.Pid}}'));
    assert.ok(conmonPid > 0 && pid > 0);
    process.kill(conmonPid, 'SIGKILL');
    await waitUntil('conmon gone', () => !existsSync(`/proc/${conmonPid}`) || /^State:\s+Z/m.test(readIf(`/proc/${conmonPid}/status`) ?? ''));
    assert.ok(existsSync(`/proc/${pid}`), 'the payload outlives conmon');
    const rm = await podman(null, ['rm', '-f', '-t', '0', name]);
    assert.equal(rm.code, 0, rm.stderr);
    await waitUntil('the payload gone', () => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readIf(`/proc/${pid}/status`) ?? ''));
    await waitUntil('the scope gone', () => !existsSync(`/sys/fs/cgroup/machine.slice/libpod-${id}.scope`));
    if (rt.name === 'tsmachine-oci') assert.notEqual((await cmd('machinectl', ['show', id])).code, 0, 'no machine');
    // podman sends `kill ID 9` and, with conmon gone, no `delete`: the
    // runtime's record stays, as crun's does; it is stopped and deletable.
    const st = await cmd(rt.bin, ['state', id]);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(JSON.parse(st.stdout).status, 'stopped');
    const del = await cmd(rt.bin, ['delete', id]);
    assert.equal(del.code, 0, del.stderr);
    assert.notEqual((await cmd(rt.bin, ['state', id])).code, 0, 'gone after delete');
  });
}

test('podman tsmachine-oci: --annotation com.tsmachine.machine-name names the machine (podman 4.3 puts no container name in config.json)', SLOW, async () => {
  const name = named(ours, 'mname');
  const machine = `web-${process.pid}`;
  const r = await podman(ours, ['run', '-d', '--name', name, '--annotation', `com.tsmachine.machine-name=${machine}`, '--pull=never', '--network', 'none', IMAGE, 'sleep', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(await inspect(name, '{{.State.Pid}}'));
  assert.equal(Number(ok(await cmd('machinectl', ['show', '-p', 'Leader', '--value', machine]), 'machinectl show').trim()), pid);
  ok(await podman(null, ['rm', '-f', '-t', '0', name]), 'podman rm');
  assert.notEqual((await cmd('machinectl', ['show', machine])).code, 0, 'the machine goes with the container');
});
