/**
 * The client against a real bus: a private dbus-daemon per run (no systemd
 * here). Covers the bus's own methods and errors, a method exported by one
 * connection and called from another, signals through AddMatch, large and
 * nested values, timeouts and clean shutdown. Then SystemdManager and
 * Machined against fake systemd1/machine1 services on that bus, which lets
 * us drive the orderings a real systemd produces only sometimes (JobRemoved
 * before the StartTransientUnit reply, unknown properties, stuck jobs).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBus } from '../../src/systemd/bus.js';
import type { BusConnection } from '../../src/systemd/dbus/connection.js';
import { BusError, DBusConnectionError, DBusTimeoutError } from '../../src/systemd/dbus/errors.js';
import type { Message } from '../../src/systemd/dbus/message.js';
import type { DBusKey, DBusValue } from '../../src/systemd/dbus/values.js';
import { SystemdManager } from '../../src/systemd/manager.js';
import { Machined } from '../../src/systemd/machined.js';
import { MachineExistsError, SystemdJobError, SystemdTimeoutError, UnitExistsError } from '../../src/systemd/errors.js';
import { scopeProperties } from '../../src/systemd/properties.js';

const HAVE_DAEMON = spawnSync('dbus-daemon', ['--version']).status === 0;
const skip = HAVE_DAEMON ? false : 'dbus-daemon is not installed';

interface PrivateBus {
  address: string;
  stop(): Promise<void>;
}

/** `dbus-daemon --session` on a socket in a fresh temp dir; its address is its first stdout line. */
async function startBus(kind: 'path' | 'abstract' = 'path'): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-dbus-'));
  const listen = kind === 'path' ? `unix:path=${dir}/bus` : `unix:abstract=${dir}/bus`;
  const child: ChildProcess = spawn('dbus-daemon', ['--session', '--nofork', '--print-address', `--address=${listen}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
  return {
    address,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const DBUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' } as const;

function nextSignal(bus: BusConnection, filter: (m: Message) => boolean, rule: Parameters<BusConnection['onSignal']>[0] = {}): Promise<Message> {
  return new Promise((resolve) => {
    const off = bus.onSignal(rule, (m) => {
      if (!filter(m)) return;
      off();
      resolve(m);
    });
  });
}

describe('BusConnection against a private dbus-daemon', { skip }, () => {
  let bus: PrivateBus;
  let a: BusConnection;
  let b: BusConnection;

  before(async () => {
    bus = await startBus();
    a = await connectBus(bus.address);
    b = await connectBus(bus.address);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await bus?.stop();
  });

  test('Hello, GetId, ListNames', async () => {
    assert.match(a.uniqueName, /^:1\.\d+$/);
    assert.notEqual(a.uniqueName, b.uniqueName);
    const [id] = await a.call({ ...DBUS, member: 'GetId' });
    assert.match(String(id), /^[0-9a-f]{32}$/);
    const [names] = await a.call({ ...DBUS, member: 'ListNames' });
    assert.ok(Array.isArray(names));
    assert.ok(names.includes('org.freedesktop.DBus'));
    assert.ok(names.includes(a.uniqueName) && names.includes(b.uniqueName));
  });

  test('error replies become BusError with the D-Bus name and the call', async () => {
    await assert.rejects(a.call({ destination: 'org.example.Nobody', path: '/x', interface: 'org.example.I', member: 'M', object: 'thing' }), (e: unknown) => {
      assert.ok(e instanceof BusError);
      assert.equal(e.errorName, 'org.freedesktop.DBus.Error.ServiceUnknown');
      assert.equal(e.module, 'systemd');
      assert.equal(e.destination, 'org.example.Nobody');
      assert.equal(e.path, '/x');
      assert.equal(e.interface, 'org.example.I');
      assert.equal(e.member, 'M');
      assert.equal(e.object, 'thing');
      assert.match(e.message, /org\.example\.I\.M for thing .*ServiceUnknown/);
      return true;
    });
    const name = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
      } catch (e) {
        if (e instanceof BusError) return e.errorName;
        throw e;
      }
      return 'no error';
    };
    assert.equal(await name(a.call({ ...DBUS, member: 'GetNameOwner', signature: 's', body: ['org.example.Nobody'] })), 'org.freedesktop.DBus.Error.NameHasNoOwner');
    assert.equal(await name(a.call({ ...DBUS, member: 'GetNameOwner', signature: 'u', body: [1] })), 'org.freedesktop.DBus.Error.InvalidArgs');
    assert.equal(await name(a.call({ ...DBUS, member: 'NoSuchMethod' })), 'org.freedesktop.DBus.Error.UnknownMethod');
  });

  test('a method exported by one connection, called from another, round-trips nested values', async () => {
    const [reply] = await a.call({ ...DBUS, member: 'RequestName', signature: 'su', body: ['org.tsmachine.Test', 4] });
    assert.equal(reply, 1, 'primary owner');
    const [owner] = await b.call({ ...DBUS, member: 'GetNameOwner', signature: 's', body: ['org.tsmachine.Test'] });
    assert.equal(owner, a.uniqueName);
    a.exportMethod('/org/tsmachine/Test', 'org.tsmachine.Test', 'Echo', (call) => ({ signature: call.signature, body: call.body }));
    a.exportMethod('/org/tsmachine/Test', 'org.tsmachine.Test', 'Fail', () => {
      throw new BusError('org.tsmachine.Error.Nope', 'refused on purpose', {});
    });
    const echo = (signature: string, body: DBusValue[]): Promise<DBusValue[]> =>
      b.call({ destination: 'org.tsmachine.Test', path: '/org/tsmachine/Test', interface: 'org.tsmachine.Test', member: 'Echo', signature, body });

    const nested: DBusValue = { signature: 'v', value: { signature: 'a{sv}', value: new Map<DBusKey, DBusValue>([['deep', { signature: '(tay)', value: [(1n << 64n) - 1n, new Uint8Array([1, 2])] }]]) } };
    const cases: [string, DBusValue[]][] = [
      ['', []],
      ['ybnqiuxtd', [255, true, -32768, 65535, -2147483648, 4294967295, -(1n << 63n), (1n << 64n) - 1n, -1.25]],
      ['soga(sv)', ['héllo €', '/a/b_c', 'a(sa(sv))', [['PIDs', { signature: 'au', value: [1, 2] }], ['AllowedCPUs', { signature: 'ay', value: new Uint8Array([3]) }]]]],
      ['a(sa(sv))', [[['x.scope', [['Description', { signature: 's', value: 'aux' }]]]]]],
      ['v', [nested]],
      ['aiad', [[-1, 0, 1], [0.5, -0]]],
      ['a(ss)', [[['/dev/null', 'rw'], ['char-pts', 'rwm']]]],
    ];
    for (const [sig, body] of cases) assert.deepEqual(await echo(sig, body), body, sig);

    // large arrays cross many socket reads
    const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const many = Array.from({ length: 200_000 }, (_, i) => i);
    const [bigBack, manyBack] = await echo('ayau', [big, many]);
    assert.deepEqual(bigBack, big);
    assert.deepEqual(manyBack, many);

    // many calls in flight at once: replies are matched by serial
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => echo('u', [i])));
    assert.deepEqual(results.map((r) => r[0]), Array.from({ length: 300 }, (_, i) => i));

    await assert.rejects(b.call({ destination: 'org.tsmachine.Test', path: '/org/tsmachine/Test', interface: 'org.tsmachine.Test', member: 'Fail' }), (e: unknown) => e instanceof BusError && e.errorName === 'org.tsmachine.Error.Nope' && e.detail === 'refused on purpose');
    await assert.rejects(b.call({ destination: 'org.tsmachine.Test', path: '/org/tsmachine/Test', interface: 'org.tsmachine.Test', member: 'Missing' }), (e: unknown) => e instanceof BusError && e.errorName === 'org.freedesktop.DBus.Error.UnknownMethod');
    await b.call({ destination: 'org.tsmachine.Test', path: '/', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' });
  });

  test('signals: NameOwnerChanged through AddMatch as a connection comes and goes', async () => {
    const seen: DBusValue[][] = [];
    const sub = await a.addMatch({ sender: 'org.freedesktop.DBus', interface: 'org.freedesktop.DBus', member: 'NameOwnerChanged' }, (m) => seen.push(m.body));
    const c = await connectBus(bus.address);
    const name = c.uniqueName;
    const gone = nextSignal(a, (m) => m.member === 'NameOwnerChanged' && m.body[0] === name && m.body[2] === '');
    await c.close();
    await gone;
    assert.deepEqual(seen.filter((s) => s[0] === name), [[name, '', name], [name, name, '']]);
    await sub.remove();
    const count = seen.length;
    const d = await connectBus(bus.address);
    await d.call({ ...DBUS, member: 'GetId' });
    await d.close();
    await a.call({ ...DBUS, member: 'GetId' }); // a round trip after d left: any signal would have arrived
    assert.equal(seen.length, count, 'no delivery after remove()');
  });

  test('signals emitted by a peer reach a matching listener', async () => {
    const got = new Promise<Message>((resolve) => {
      void b.addMatch({ interface: 'org.tsmachine.Test', member: 'Happened', arg0: 'job' }, resolve);
    });
    await b.call({ ...DBUS, member: 'GetId' }); // AddMatch has been processed by now
    a.emitSignal('/org/tsmachine/Test', 'org.tsmachine.Test', 'Happened', 'sv', ['other', { signature: 'u', value: 0 }]);
    a.emitSignal('/org/tsmachine/Test', 'org.tsmachine.Test', 'Happened', 'sv', ['job', { signature: 'at', value: [1n, 2n] }]);
    const m = await got;
    assert.equal(m.sender, a.uniqueName);
    assert.deepEqual(m.body, ['job', { signature: 'at', value: [1n, 2n] }]);
  });

  test('a call without reply times out with DBusTimeoutError', async () => {
    a.exportMethod('/org/tsmachine/Test', 'org.tsmachine.Test', 'Never', () => new Promise<void>(() => undefined));
    await assert.rejects(
      b.call({ destination: 'org.tsmachine.Test', path: '/org/tsmachine/Test', interface: 'org.tsmachine.Test', member: 'Never', timeoutMs: 150 }),
      (e: unknown) => e instanceof DBusTimeoutError && e.timeoutMs === 150 && e.member === 'Never',
    );
  });

  test('close() rejects pending calls; later calls fail; a dead bus is reported', async () => {
    const c = await connectBus(bus.address);
    a.exportMethod('/org/tsmachine/Test', 'org.tsmachine.Test', 'Slow', () => new Promise<void>(() => undefined));
    const pending = c.call({ destination: 'org.tsmachine.Test', path: '/org/tsmachine/Test', interface: 'org.tsmachine.Test', member: 'Slow' });
    const rejected = assert.rejects(pending, DBusConnectionError);
    await c.close();
    await rejected;
    await assert.rejects(c.call({ ...DBUS, member: 'GetId' }), DBusConnectionError);
    await c.close(); // idempotent

    await assert.rejects(connectBus('unix:path=/nonexistent/tsm-bus'), DBusConnectionError);

    const other = await startBus();
    const d = await connectBus(other.address);
    const closed = new Promise<Error>((resolve) => d.onClose(resolve));
    await other.stop();
    assert.ok((await closed) instanceof DBusConnectionError);
    assert.ok(d.closed);
  });

  test('an abstract socket address connects too', async () => {
    const abstract = await startBus('abstract');
    try {
      assert.match(abstract.address, /^unix:abstract=/);
      const c = await connectBus(abstract.address);
      assert.match(String((await c.call({ ...DBUS, member: 'GetId' }))[0]), /^[0-9a-f]{32}$/);
      await c.close();
    } finally {
      await abstract.stop();
    }
  });

  test('the handshake is on the wire before the event loop turns (the bus answers while the caller works)', async () => {
    const connecting = connectBus(bus.address);
    // Synchronous work, as a start's fork of the stages: no event-loop turn.
    const t0 = Date.now();
    while (Date.now() - t0 < 300) { /* busy */ }
    // Asked only now, yet the bus already knows the new connection: its
    // Hello went out with the connect, not at some later turn of the loop.
    const [names] = await b.call({ ...DBUS, member: 'ListNames' });
    const c = await connecting;
    assert.ok(Array.isArray(names) && names.includes(c.uniqueName), `${c.uniqueName} not among ${JSON.stringify(names)}`);
    await c.close();
  });

  test('an idle connection that was never closed does not keep a process alive', () => {
    const busModule = fileURLToPath(new URL('../../src/systemd/bus.js', import.meta.url));
    const script = `const { connectBus } = await import(${JSON.stringify(busModule)});
      const c = await connectBus(${JSON.stringify(bus.address)});
      await c.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetId' });
      console.log('done');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'done');
  });
});

// ---------------------------------------------------------------------------

const SD = { dest: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', manager: 'org.freedesktop.systemd1.Manager' } as const;
const M1 = { dest: 'org.freedesktop.machine1', path: '/org/freedesktop/machine1', manager: 'org.freedesktop.machine1.Manager' } as const;

interface Recorded {
  member: string;
  body: DBusValue[];
}

/** Just enough of systemd and machined to exercise the wrappers' logic. */
function fakeServices(svc: BusConnection, calls: Recorded[]): void {
  let jobId = 100;
  const jobRemoved = (id: number, unit: string, result: string): void =>
    svc.emitSignal(SD.path, SD.manager, 'JobRemoved', 'uoss', [id, `${SD.path}/job/${id}`, unit, result]);
  const fail = (name: string, text: string): never => {
    throw new BusError(name, text, {});
  };
  let subscribed = false;
  const manager = (member: string, handler: (body: DBusValue[]) => { signature: string; body: DBusValue[] } | void): void => {
    svc.exportMethod(SD.path, SD.manager, member, (call) => {
      calls.push({ member, body: call.body });
      return handler(call.body);
    });
  };
  const job = (id: number) => ({ signature: 'o', body: [`${SD.path}/job/${id}`] });

  manager('Subscribe', () => {
    if (subscribed) fail('org.freedesktop.systemd1.AlreadySubscribed', 'Client is already subscribed.');
    subscribed = true;
  });
  manager('StartTransientUnit', ([unit, , props]) => {
    const names = (props as DBusValue[][]).map((p) => p[0]);
    const id = ++jobId;
    switch (unit) {
      case 'exists.scope':
        return fail('org.freedesktop.systemd1.UnitExists', `Unit ${unit} already exists.`);
      case 'old.scope':
        if (names.includes('OOMPolicy')) fail('org.freedesktop.DBus.Error.PropertyReadOnly', 'Cannot set property OOMPolicy, or unknown property.');
        setTimeout(() => jobRemoved(id, unit, 'done'), 5);
        return job(id);
      case 'early.scope':
        // Other jobs' results first, then ours, all before the reply.
        jobRemoved(id + 1000, 'unrelated.service', 'failed');
        jobRemoved(id, unit, 'done');
        return job(id);
      case 'fail.scope':
        setTimeout(() => jobRemoved(id, unit, 'failed'), 5);
        return job(id);
      case 'hang.scope':
        return job(id);
      default:
        setTimeout(() => {
          jobRemoved(id + 1000, String(unit), 'failed'); // same unit, another job: must not be taken for ours
          jobRemoved(id, String(unit), 'done');
        }, 10);
        return job(id);
    }
  });
  manager('StopUnit', ([unit]) => {
    if (unit === 'gone.scope') fail('org.freedesktop.systemd1.NoSuchUnit', `Unit ${unit} not loaded.`);
    const id = ++jobId;
    setTimeout(() => jobRemoved(id, String(unit), unit === 'stuck.scope' ? 'canceled' : 'done'), 5);
    return job(id);
  });
  manager('KillUnit', () => undefined);
  manager('ResetFailedUnit', ([unit]) => {
    if (unit !== 'web.scope') fail('org.freedesktop.systemd1.NoSuchUnit', `Unit ${unit} not loaded.`);
  });
  manager('SetUnitProperties', () => undefined);
  manager('AttachProcessesToUnit', () => undefined);
  const unitPath = `${SD.path}/unit/web_2escope`;
  manager('GetUnit', ([unit]) => {
    if (unit !== 'web.scope') fail('org.freedesktop.systemd1.NoSuchUnit', `Unit ${unit} not loaded.`);
    return { signature: 'o', body: [unitPath] };
  });
  manager('GetUnitByPID', ([pid]) => {
    if (pid !== 1) fail('org.freedesktop.systemd1.NoUnitForPID', `PID ${pid} does not belong to any loaded unit.`);
    return { signature: 'o', body: [unitPath] };
  });
  const unitProps: Record<string, string> = { ActiveState: 'active', SubState: 'running', ControlGroup: '/machine.slice/web.scope', Result: 'success', Id: 'web.scope' };
  svc.exportMethod(unitPath, 'org.freedesktop.DBus.Properties', 'Get', (call) => {
    const [, name] = call.body;
    return { signature: 'v', body: [{ signature: 's', value: unitProps[String(name)] ?? fail('org.freedesktop.DBus.Error.UnknownProperty', String(name)) }] };
  });

  // machined
  const machine = (member: string, handler: (body: DBusValue[]) => { signature: string; body: DBusValue[] } | void): void => {
    svc.exportMethod(M1.path, M1.manager, member, (call) => {
      calls.push({ member, body: call.body });
      return handler(call.body);
    });
  };
  const machinePath = `${M1.path}/machine/web`;
  machine('RegisterMachineWithNetwork', ([name]) => {
    if (name === 'taken') fail('org.freedesktop.machine1.MachineExists', `Machine '${name}' already exists`);
    return { signature: 'o', body: [machinePath] };
  });
  const noSuch = (name: DBusValue | undefined): never => fail('org.freedesktop.machine1.NoSuchMachine', `No machine '${String(name)}' known`);
  machine('GetMachine', ([name]) => (name === 'web' ? { signature: 'o', body: [machinePath] } : noSuch(name)));
  machine('TerminateMachine', ([name]) => (name === 'web' ? undefined : noSuch(name)));
  machine('ListMachines', () => ({ signature: 'a(ssso)', body: [[['web', 'container', 'tsmachine', machinePath], ['.host', 'host', '', `${M1.path}/machine/_2ehost`]]] }));
  machine('GetMachineAddresses', () => ({ signature: 'a(iay)', body: [[[2, new Uint8Array([10, 0, 0, 2])], [10, new Uint8Array([0xfe, 0x80, ...new Array<number>(13).fill(0), 1])]]] }));
  svc.exportMethod(machinePath, 'org.freedesktop.DBus.Properties', 'GetAll', () => ({
    signature: 'a{sv}',
    body: [
      new Map<DBusKey, DBusValue>([
        ['Name', { signature: 's', value: 'web' }],
        ['Id', { signature: 'ay', value: new Uint8Array(16) }],
        ['Service', { signature: 's', value: 'tsmachine' }],
        ['Unit', { signature: 's', value: 'tsmachine-web.scope' }],
        ['Leader', { signature: 'u', value: 4242 }],
        ['Class', { signature: 's', value: 'container' }],
        ['RootDirectory', { signature: 's', value: '/var/lib/tsmachine/web/rootfs' }],
        ['NetworkInterfaces', { signature: 'ai', value: [7] }],
        ['State', { signature: 's', value: 'running' }],
        ['Timestamp', { signature: 't', value: 1n }],
      ]),
    ],
  }));
}

describe('SystemdManager and Machined against fake services on a private bus', { skip }, () => {
  let bus: PrivateBus;
  let svc: BusConnection;
  let client: BusConnection;
  let systemd: SystemdManager;
  let machined: Machined;
  const calls: Recorded[] = [];

  before(async () => {
    bus = await startBus();
    svc = await connectBus(bus.address);
    for (const name of [SD.dest, M1.dest]) await svc.call({ ...DBUS, member: 'RequestName', signature: 'su', body: [name, 4] });
    fakeServices(svc, calls);
    client = await connectBus(bus.address);
    systemd = new SystemdManager(client, { timeoutMs: 2000 });
    machined = new Machined(client);
  });
  after(async () => {
    await systemd?.dispose();
    await client?.close();
    await svc?.close();
    await bus?.stop();
  });

  const props = scopeProperties({ description: 'test', pids: [4242], limits: { memory: 1024, cpus: 0.5 } });

  test('startTransientScope subscribes, sends the properties and waits for its own job', async () => {
    await systemd.startTransientScope('web.scope', props);
    const start = calls.find((c) => c.member === 'StartTransientUnit')!;
    assert.deepEqual(start.body, ['web.scope', 'fail', props, []]);
    assert.ok(calls.findIndex((c) => c.member === 'Subscribe') < calls.indexOf(start), 'Subscribe before StartTransientUnit');
    await systemd.subscribe(); // AlreadySubscribed is not an error
  });

  test('a JobRemoved that overtakes the reply is not lost', async () => {
    await systemd.startTransientScope('early.scope', props);
  });

  test('UnitExists becomes UnitExistsError naming the unit', async () => {
    await assert.rejects(systemd.startTransientScope('exists.scope', props), (e: unknown) => {
      assert.ok(e instanceof UnitExistsError && e instanceof BusError);
      assert.equal(e.unit, 'exists.scope');
      assert.equal(e.errorName, 'org.freedesktop.systemd1.UnitExists');
      assert.match(e.message, /exists\.scope/);
      return true;
    });
  });

  test('a failed job is SystemdJobError with its result', async () => {
    await assert.rejects(systemd.startTransientScope('fail.scope', props), (e: unknown) => e instanceof SystemdJobError && e.unit === 'fail.scope' && e.result === 'failed');
  });

  test('a job that never finishes times out with SystemdTimeoutError', async () => {
    await assert.rejects(systemd.startTransientScope('hang.scope', props, { timeoutMs: 200 }), (e: unknown) => e instanceof SystemdTimeoutError && e.unit === 'hang.scope' && e.timeoutMs === 200);
  });

  test('an optional property this systemd does not know (OOMPolicy on < 253) is dropped and remembered', async () => {
    await systemd.startTransientScope('old.scope', props);
    const sent = calls.filter((c) => c.member === 'StartTransientUnit' && c.body[0] === 'old.scope').map((c) => (c.body[2] as DBusValue[][]).map((p) => p[0]));
    assert.equal(sent.length, 2);
    assert.ok(sent[0]!.includes('OOMPolicy') && !sent[1]!.includes('OOMPolicy'));
    assert.ok(sent[1]!.includes('MemoryMax'), 'limits are never dropped');
    assert.ok(systemd.unsupportedProperties.has('OOMPolicy'));
  });

  test('stopUnit waits for the job; a missing unit is fine; a canceled stop throws', async () => {
    await systemd.stopUnit('web.scope');
    await systemd.stopUnit('gone.scope');
    await assert.rejects(systemd.stopUnit('stuck.scope'), (e: unknown) => e instanceof SystemdJobError && e.result === 'canceled');
  });

  test('kill, reset-failed, set properties, attach: the right calls and types', async () => {
    calls.length = 0;
    await systemd.killUnit('web.scope', 'all', 'SIGTERM');
    await systemd.killUnit('web.scope', 'main', 9);
    await systemd.resetFailedUnit('web.scope');
    await systemd.resetFailedUnit('gone.scope');
    await systemd.setUnitProperties('web.scope', true, [['MemoryMax', { signature: 't', value: 2048n }]]);
    await systemd.attachProcessesToUnit('web.scope', '/payload', [5, 6]);
    assert.deepEqual(calls, [
      { member: 'KillUnit', body: ['web.scope', 'all', 15] },
      { member: 'KillUnit', body: ['web.scope', 'main', 9] },
      { member: 'ResetFailedUnit', body: ['web.scope'] },
      { member: 'ResetFailedUnit', body: ['gone.scope'] },
      { member: 'SetUnitProperties', body: ['web.scope', true, [['MemoryMax', { signature: 't', value: 2048n }]]] },
      { member: 'AttachProcessesToUnit', body: ['web.scope', '/payload', [5, 6]] },
    ]);
  });

  test('getUnit and getUnitByPID', async () => {
    assert.deepEqual(await systemd.getUnit('web.scope'), { path: '/org/freedesktop/systemd1/unit/web_2escope', activeState: 'active', subState: 'running', controlGroup: '/machine.slice/web.scope', result: 'success' });
    assert.equal(await systemd.getUnit('nope.scope'), null);
    assert.equal(await systemd.getUnitByPID(1), 'web.scope');
    assert.equal(await systemd.getUnitByPID(99), null);
  });

  test('machined: register, MachineExists, get, list, addresses, terminate', async () => {
    calls.length = 0;
    const path = await machined.registerMachineWithNetwork({ name: 'web', leader: 4242, rootDirectory: '/var/lib/tsmachine/web/rootfs', ifindices: [7], service: 'tsmachine', class: 'container' });
    assert.equal(path, '/org/freedesktop/machine1/machine/web');
    assert.deepEqual(calls[0], { member: 'RegisterMachineWithNetwork', body: ['web', new Uint8Array(0), 'tsmachine', 'container', 4242, '/var/lib/tsmachine/web/rootfs', [7]] });
    await assert.rejects(machined.registerMachineWithNetwork({ name: 'taken', leader: 1, rootDirectory: '/' }), (e: unknown) => e instanceof MachineExistsError && e.machine === 'taken' && e.errorName === 'org.freedesktop.machine1.MachineExists');
    await assert.rejects(machined.registerMachineWithNetwork({ name: 'x', leader: 1, rootDirectory: '/', id: new Uint8Array(3) }), /16 bytes/);
    assert.deepEqual(await machined.getMachine('web'), {
      path, name: 'web', leader: 4242, unit: 'tsmachine-web.scope', state: 'running', class: 'container', service: 'tsmachine', rootDirectory: '/var/lib/tsmachine/web/rootfs', networkInterfaces: [7],
    });
    assert.equal(await machined.getMachine('nope'), null);
    assert.deepEqual(await machined.listMachines(), [{ name: 'web', class: 'container', service: 'tsmachine', path }], 'hides .host, as machinectl list does');
    assert.deepEqual(await machined.listMachines({ all: true }), [
      { name: 'web', class: 'container', service: 'tsmachine', path },
      { name: '.host', class: 'host', service: '', path: '/org/freedesktop/machine1/machine/_2ehost' },
    ]);
    assert.deepEqual(await machined.getMachineAddresses('web'), [{ family: 'inet', address: '10.0.0.2' }, { family: 'inet6', address: 'fe80::1' }]);
    assert.equal(await machined.terminateMachine('web'), true);
    assert.equal(await machined.terminateMachine('nope'), false);
  });
});
