/**
 * The systemd module against a real systemd: a transient scope in
 * machine.slice with limits, as the runtime starts one for each container.
 * The limits are checked where the kernel enforces them (cgroupfs), with
 * exact values, so a wrong unit conversion cannot pass.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { TsmError } from '../../src/errors.js';
import { connectSystemBus, type SystemBus } from '../../src/systemd/bus.js';
import { SystemdManager } from '../../src/systemd/manager.js';
import { Machined } from '../../src/systemd/machined.js';
import { scopeProperties } from '../../src/systemd/properties.js';
import { SystemdJobError, UnitExistsError } from '../../src/systemd/errors.js';
import { unitProperty, waitUntil } from './helpers.js';

const UNIT = 'tsm-harness-test.scope';
const CGROUP = `/sys/fs/cgroup/machine.slice/${UNIT}`;
const LIMITS = { memory: 64 * 1024 * 1024, cpus: 0.5, pids: 32 };

let bus: SystemBus;
let systemd: SystemdManager;
const parked: ChildProcess[] = [];

/** A process that waits to be put in a scope (the scope needs a live PID). */
function park(): number {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  parked.push(child);
  assert.ok(child.pid, 'spawned sleep has a pid');
  return child.pid;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function scope(pids: number[], description = 'tsmachine harness test') {
  return scopeProperties({ description, pids, limits: LIMITS, slice: 'machine.slice' });
}

before(async () => {
  bus = await connectSystemBus();
  systemd = new SystemdManager(bus);
});

after(() => {
  for (const child of parked) if (!exited(child)) child.kill('SIGKILL');
  bus?.close();
});

test('a transient scope starts in machine.slice holding the parked process', async () => {
  const pid = park();
  await systemd.startTransientScope(UNIT, scope([pid]));

  assert.equal(unitProperty(UNIT, 'ActiveState'), 'active');
  assert.equal(unitProperty(UNIT, 'ControlGroup'), `/machine.slice/${UNIT}`);
  const procs = readFileSync(`${CGROUP}/cgroup.procs`, 'utf8').split('\n');
  assert.ok(procs.includes(String(pid)), `pid ${pid} in ${CGROUP}/cgroup.procs: ${procs.join(' ')}`);
});

test('the limits land in cgroupfs with exact values', () => {
  const read = (file: string) => readFileSync(`${CGROUP}/${file}`, 'utf8').trim();
  assert.equal(read('memory.max'), '67108864'); // 64M
  assert.equal(read('cpu.max'), '50000 100000'); // 0.5 CPU
  assert.equal(read('pids.max'), '32');
});

test('systemd reports the scope and its limits', async () => {
  assert.equal(unitProperty(UNIT, 'Slice'), 'machine.slice');
  assert.equal(unitProperty(UNIT, 'MemoryMax'), '67108864');
  assert.equal(unitProperty(UNIT, 'TasksMax'), '32');
  assert.equal(unitProperty(UNIT, 'CPUQuotaPerSecUSec'), '500ms');
  const cgls = execFileSync('systemd-cgls', ['--no-pager', '-u', 'machine.slice'], { encoding: 'utf8' });
  assert.match(cgls, new RegExp(UNIT.replace('.', '\\.')));
  assert.notEqual(await systemd.getUnit(UNIT), null);
});

test('machined answers ListMachines, as machinectl sees it', async () => {
  const machined = new Machined(bus);
  // machined always lists the host itself as ".host"; like machinectl, the default hides it
  const all = await machined.listMachines({ all: true });
  assert.ok(all.some((m) => m.name === '.host' && m.class === 'host'), `.host in ${JSON.stringify(all)}`);
  const listed = execFileSync('machinectl', ['list', '--no-legend', '--no-pager'], { encoding: 'utf8' })
    .split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/)[0]);
  const machines = await machined.listMachines();
  assert.deepEqual(machines.map((m) => m.name).sort(), listed.sort());
});

test('stopping the scope kills its process and removes the unit', async () => {
  await systemd.stopUnit(UNIT);
  await waitUntil(`${CGROUP} to disappear`, () => !existsSync(CGROUP));
  await waitUntil('the parked process to be killed', () => parked.every(exited));
  assert.equal(await systemd.getUnit(UNIT), null);
});

test('a scope name that is taken fails with UnitExistsError naming the unit', async () => {
  const unit = 'tsm-harness-taken.scope';
  await systemd.startTransientScope(unit, scope([park()]));
  try {
    await assert.rejects(systemd.startTransientScope(unit, scope([park()])), (err: unknown) => {
      assert.ok(err instanceof UnitExistsError, `UnitExistsError, got ${String(err)}`);
      assert.equal(err.unit, unit);
      return true;
    });
  } finally {
    await systemd.stopUnit(unit);
  }
});

test('a scope for a process that already exited fails with a typed error naming the unit', async () => {
  const unit = 'tsm-harness-dead.scope';
  const gone = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => gone.on('exit', resolve)); // exited and reaped: the PID no longer exists
  assert.ok(gone.pid);
  await assert.rejects(systemd.startTransientScope(unit, scope([gone.pid])), (err: unknown) => {
    assert.ok(err instanceof TsmError, `a TsmError, got ${String(err)}`);
    assert.match(err.message, /tsm-harness-dead\.scope/);
    return true;
  });
  assert.equal(await systemd.getUnit(unit), null);
});

test('a start job that fails surfaces as SystemdJobError with the unit and the result', async () => {
  // A scope that requires a service which fails: systemd accepts the call,
  // then the scope's start job ends with result "dependency".
  const unit = 'tsm-harness-failjob.scope';
  const failing = 'tsm-harness-fails.service';
  spawnSync('systemd-run', ['--quiet', `--unit=${failing}`, '--service-type=oneshot', '/bin/false'], { stdio: 'ignore' });
  try {
    assert.equal(unitProperty(failing, 'ActiveState'), 'failed');
    const props = [
      ...scope([park()]),
      ['Requires', { signature: 'as', value: [failing] }],
      ['After', { signature: 'as', value: [failing] }],
    ] satisfies ReturnType<typeof scope>;
    await assert.rejects(systemd.startTransientScope(unit, props), (err: unknown) => {
      assert.ok(err instanceof SystemdJobError, `SystemdJobError, got ${String(err)}`);
      assert.equal(err.unit, unit);
      assert.equal(err.result, 'dependency');
      assert.match(err.message, /tsm-harness-failjob\.scope/);
      return true;
    });
  } finally {
    await systemd.stopUnit(unit);
    spawnSync('systemctl', ['reset-failed', failing], { stdio: 'ignore' });
  }
});
