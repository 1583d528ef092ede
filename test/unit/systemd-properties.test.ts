/** Spec -> unit properties, unit names, journalctl arguments: pure tables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuMask, cpuQuotaPerSecUSec, devicePlan, scopeProperties, serviceDeviceProperties, unitNameForMachine, updateProperties, type UnitProperty } from '../../src/systemd/properties.js';
import { marshal } from '../../src/systemd/dbus/marshal.js';
import { journalctlArgs } from '../../src/systemd/journal.js';
import { formatAddress } from '../../src/systemd/machined.js';
import { UnitPropertyError } from '../../src/systemd/errors.js';
import { TsmError } from '../../src/errors.js';

const byName = (props: UnitProperty[]): Map<string, UnitProperty[1]> => new Map(props);

test('CPUQuotaPerSecUSec rounds up to 10 ms steps, as runc does', () => {
  const cases: [number, bigint][] = [
    [0.5, 500000n], [0.333, 340000n], [1.5, 1500000n], [1, 1000000n], [0.01, 10000n], [0.001, 10000n],
    [0.29, 290000n], [0.57, 570000n], [2.345, 2350000n], [64, 64000000n], [0.0000001, 10000n],
  ];
  for (const [cpus, want] of cases) assert.equal(cpuQuotaPerSecUSec(cpus), want, `cpus ${cpus}`);
  for (const bad of [0, -1, NaN, Infinity]) assert.throws(() => cpuQuotaPerSecUSec(bad), UnitPropertyError, `cpus ${bad}`);
});

test('AllowedCPUs is a little-endian bitmask: cpu N is bit N%8 of byte N/8', () => {
  const cases: [number[], number[]][] = [
    [[0, 1], [0x03]], [[9], [0x00, 0x02]], [[0], [0x01]], [[7], [0x80]], [[8], [0x00, 0x01]],
    [[0, 2, 4, 6], [0x55]], [[3, 1, 3], [0x0a]], [[15, 16], [0x00, 0x80, 0x01]], [[], []],
  ];
  for (const [cpus, want] of cases) assert.deepEqual(cpuMask(cpus), new Uint8Array(want), `cpus ${cpus.join(',')}`);
  for (const bad of [[-1], [1.5], [8192]]) assert.throws(() => cpuMask(bad), UnitPropertyError, `cpus ${bad.join(',')}`);
});

test('a scope gets slice, PIDs, delegation, GC on failure, OOM continue, and no AddRef', () => {
  const props = scopeProperties({ description: 'tsmachine container web', pids: [4242] });
  assert.deepEqual(props, [
    ['Slice', { signature: 's', value: 'machine.slice' }],
    ['Description', { signature: 's', value: 'tsmachine container web' }],
    ['PIDs', { signature: 'au', value: [4242] }],
    ['Delegate', { signature: 'b', value: true }],
    ['CollectMode', { signature: 's', value: 'inactive-or-failed' }],
    ['OOMPolicy', { signature: 's', value: 'continue' }],
    ['TimeoutStopUSec', { signature: 't', value: 10_000_000n }],
    // nspawn's device policy: nothing of the host's but the pseudo devices, its ptys and tun
    ['DevicePolicy', { signature: 's', value: 'closed' }],
    ['DeviceAllow', { signature: 'a(ss)', value: [['/dev/net/tun', 'rwm'], ['char-pts', 'rw']] }],
    // nspawn's TasksMax for a machine, when no --pids-limit says otherwise
    ['TasksMax', { signature: 't', value: 16384n }],
  ]);
  assert.ok(!props.some(([n]) => n === 'AddRef'), 'AddRef would tie the scope to the exiting CLI');
  const custom = byName(scopeProperties({ description: 'd', pids: [1, 2], slice: 'other.slice', delegate: false }));
  assert.deepEqual(custom.get('Slice'), { signature: 's', value: 'other.slice' });
  assert.deepEqual(custom.get('Delegate'), { signature: 'b', value: false });
  assert.deepEqual(custom.get('PIDs'), { signature: 'au', value: [1, 2] });
  assert.throws(() => scopeProperties({ description: 'd', pids: [] }), UnitPropertyError, 'empty scope');
  assert.throws(() => scopeProperties({ description: 'd', pids: [0] }), UnitPropertyError, 'pid 0');
});

test('limits become typed properties', () => {
  const cases: [Parameters<typeof updateProperties>[0], UnitProperty[]][] = [
    [{}, []],
    [{ cpus: 0.5 }, [['CPUQuotaPerSecUSec', { signature: 't', value: 500000n }]]],
    [{ memory: 64 * 2 ** 20 }, [['MemoryMax', { signature: 't', value: 67108864n }]]],
    [{ memory: Infinity }, [['MemoryMax', { signature: 't', value: (1n << 64n) - 1n }]]],
    [{ pids: 32 }, [['TasksMax', { signature: 't', value: 32n }]]],
    [{ cpuset: [0, 1] }, [['AllowedCPUs', { signature: 'ay', value: new Uint8Array([3]) }]]],
    [{ ioWeight: 500 }, [['IOWeight', { signature: 't', value: 500n }]]],
    [
      { cpus: 1.5, memory: 1024, pids: 100, cpuset: [9], ioWeight: 1 },
      [
        ['CPUQuotaPerSecUSec', { signature: 't', value: 1500000n }],
        ['MemoryMax', { signature: 't', value: 1024n }],
        ['TasksMax', { signature: 't', value: 100n }],
        ['AllowedCPUs', { signature: 'ay', value: new Uint8Array([0, 2]) }],
        ['IOWeight', { signature: 't', value: 1n }],
      ],
    ],
    // on a live unit an empty cpuset lifts the restriction
    [{ cpuset: [] }, [['AllowedCPUs', { signature: 'ay', value: new Uint8Array([]) }]]],
  ];
  for (const [limits, want] of cases) assert.deepEqual(updateProperties(limits), want, JSON.stringify(limits));
  // scopes append the same limits after the fixed properties; an empty cpuset is simply omitted
  const scoped = scopeProperties({ description: 'd', pids: [1], limits: { memory: 1024, cpuset: [] } });
  assert.deepEqual(scoped.slice(9), [['MemoryMax', { signature: 't', value: 1024n }], ['TasksMax', { signature: 't', value: 16384n }]]);
  // an explicit limit replaces the default, infinity included
  const unlimited = byName(scopeProperties({ description: 'd', pids: [1], limits: { pids: Infinity } }));
  assert.deepEqual(unlimited.get('TasksMax'), { signature: 't', value: (1n << 64n) - 1n });
  assert.equal(scopeProperties({ description: 'd', pids: [1], limits: { pids: 5 } }).filter(([n]) => n === 'TasksMax').length, 1);
  for (const bad of [{ memory: 0 }, { memory: 1.5 }, { pids: -1 }, { ioWeight: 0 }, { ioWeight: 10001 }]) {
    assert.throws(() => updateProperties(bad), (e: unknown) => e instanceof UnitPropertyError && e instanceof TsmError && e.module === 'systemd', JSON.stringify(bad));
  }
});

test('unit names: tsmachine-<name>.scope, escaped outside the unit-name alphabet', () => {
  const cases: [string, string][] = [
    ['web', 'tsmachine-web.scope'],
    ['web-1.example', 'tsmachine-web-1.example.scope'],
    ['My_Box:2', 'tsmachine-My_Box:2.scope'],
    ['a b', 'tsmachine-a\\x20b.scope'],
    ['a/b', 'tsmachine-a\\x2fb.scope'],
    ['a\\b', 'tsmachine-a\\x5cb.scope'],
    ['é', 'tsmachine-\\xc3\\xa9.scope'],
  ];
  for (const [name, want] of cases) assert.equal(unitNameForMachine(name), want, name);
  assert.throws(() => unitNameForMachine(''), UnitPropertyError);
  assert.throws(() => unitNameForMachine('x'.repeat(240)), UnitPropertyError);
  assert.equal(unitNameForMachine('x'.repeat(239)).length, 255);
});

test('journalctl arguments for tsmachine logs', () => {
  assert.deepEqual(journalctlArgs({ unit: 'tsmachine-web.scope' }), ['-u', 'tsmachine-web.scope', '-o', 'cat', '--no-pager']);
  assert.deepEqual(journalctlArgs({ unit: 'u.scope', follow: true, lines: 20 }), ['-u', 'u.scope', '-o', 'cat', '--no-pager', '-f', '-n', '20']);
  assert.deepEqual(journalctlArgs({ unit: 'u.scope', lines: 0 }), ['-u', 'u.scope', '-o', 'cat', '--no-pager', '-n', '0']);
  assert.throws(() => journalctlArgs({ unit: 'u.scope', lines: -1 }), TsmError);
});

test('machined addresses are formatted (IPv6 in short form)', () => {
  const v6 = (hexText: string): Uint8Array => new Uint8Array(Buffer.from(hexText, 'hex'));
  assert.deepEqual(formatAddress(2, new Uint8Array([10, 0, 0, 2])), { family: 'inet', address: '10.0.0.2' });
  assert.deepEqual(formatAddress(10, v6('fe800000000000000000000000000001')), { family: 'inet6', address: 'fe80::1' });
  assert.deepEqual(formatAddress(10, v6('00000000000000000000000000000000')), { family: 'inet6', address: '::' });
  assert.deepEqual(formatAddress(10, v6('20010db8000000010000000000000001')), { family: 'inet6', address: '2001:db8:0:1::1' });
  assert.deepEqual(formatAddress(10, v6('20010db8000100010001000100010001')), { family: 'inet6', address: '2001:db8:1:1:1:1:1:1' });
  assert.throws(() => formatAddress(2, new Uint8Array(16)), TsmError);
});

test('device plans: closed plus --device and DeviceAllow= entries, or no policy when privileged; a(ss) on the wire', () => {
  const cases: [Parameters<typeof devicePlan>[0], ReturnType<typeof devicePlan>][] = [
    [{}, { policy: 'closed', allow: [['/dev/net/tun', 'rwm'], ['char-pts', 'rw']] }],
    [
      { devices: [{ source: '/dev/sda', access: 'r' }], deviceAllow: [{ path: 'char-usb_device', access: 'rw' }] },
      { policy: 'closed', allow: [['/dev/net/tun', 'rwm'], ['char-pts', 'rw'], ['/dev/sda', 'r'], ['char-usb_device', 'rw']] },
    ],
    [{ privileged: true, devices: [{ source: '/dev/sda', access: 'r' }] }, { policy: 'auto', allow: [] }],
  ];
  for (const [spec, want] of cases) assert.deepEqual(devicePlan(spec), want, JSON.stringify(spec));
  const scope = byName(scopeProperties({ description: 'd', pids: [1], devices: devicePlan({ devices: [{ source: '/dev/fuse', access: 'rwm' }] }) }));
  assert.deepEqual(scope.get('DeviceAllow'), { signature: 'a(ss)', value: [['/dev/net/tun', 'rwm'], ['char-pts', 'rw'], ['/dev/fuse', 'rwm']] });
  const priv = byName(scopeProperties({ description: 'd', pids: [1], devices: devicePlan({ privileged: true }) }));
  assert.deepEqual(priv.get('DevicePolicy'), { signature: 's', value: 'auto' });
  assert.deepEqual(priv.get('DeviceAllow'), { signature: 'a(ss)', value: [] });
  // the service's unit file has the base: only what the container adds goes on, or the reset
  assert.deepEqual(serviceDeviceProperties(devicePlan({})), []);
  assert.deepEqual(serviceDeviceProperties(devicePlan({ devices: [{ source: '/dev/fuse', access: 'rw' }] })), [['DeviceAllow', { signature: 'a(ss)', value: [['/dev/fuse', 'rw']] }]]);
  assert.deepEqual(serviceDeviceProperties(devicePlan({ privileged: true })), [['DevicePolicy', { signature: 's', value: 'auto' }], ['DeviceAllow', { signature: 'a(ss)', value: [] }]]);
  // the variant marshals as systemd expects: an array of (ss) structs
  const bytes = marshal('a(sv)', [[['DeviceAllow', { signature: 'a(ss)', value: [['char-pts', 'rw']] }]]]);
  assert.ok(Buffer.from(bytes).includes(Buffer.from('a(ss)')) && Buffer.from(bytes).includes(Buffer.from('char-pts')));
});
