import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uplinkMtu } from '../../src/network/mtu.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetworkError } from '../../src/network/errors.js';
import { type IpamStore, allocateAddress, emptyStore, parseStore, readStore, withStore } from '../../src/network/ipam.js';
import { formatIpv4, parseCidr, parseIpv4 } from '../../src/network/ipv4.js';
import { chooseSubnet, parseProcRoutes } from '../../src/network/subnet.js';
import type { NetworkConfig } from '../../src/network/config.js';

const subnet = parseCidr('10.88.0.0/16')!;
const small = parseCidr('10.9.9.0/29')!; // .1 gateway, .2-.6 hosts
const ip = (s: string): number => parseIpv4(s)!;

function lease(address: string): IpamStore['leases'][string] {
  return { mode: 'bridge', address, prefix: 16, hostIf: null, pid: 1, ports: [] };
}

test('allocation goes round from the last address and skips leased ones', () => {
  const s = emptyStore();
  assert.equal(formatIpv4(allocateAddress(s, subnet, null)), '10.88.0.2');
  s.leases.a = lease('10.88.0.2');
  assert.equal(formatIpv4(allocateAddress(s, subnet, null)), '10.88.0.3');
  s.leases.b = lease('10.88.0.3');
  delete s.leases.a; // freed, but not handed out again at once
  assert.equal(formatIpv4(allocateAddress(s, subnet, null)), '10.88.0.4');
});

test('a small subnet wraps around and then runs out', () => {
  const s = emptyStore();
  const got = [];
  for (let i = 0; i < 5; i++) {
    const a = formatIpv4(allocateAddress(s, small, null));
    s.leases[`c${i}`] = lease(a);
    got.push(a);
  }
  assert.deepEqual(got, ['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5', '10.9.9.6']);
  assert.throws(() => allocateAddress(s, small, null), /no free address left in 10.9.9.0\/29/);
  delete s.leases.c1;
  assert.equal(formatIpv4(allocateAddress(s, small, null)), '10.9.9.3');
});

test('static --ip: inside the subnet, a host address, not leased', () => {
  const s = emptyStore();
  s.leases.web = lease('10.88.0.7');
  assert.equal(allocateAddress(s, subnet, ip('10.88.1.1')), ip('10.88.1.1'));
  assert.throws(() => allocateAddress(s, subnet, ip('10.89.0.5')), /--ip 10.89.0.5 is outside the bridge subnet 10.88.0.0\/16/);
  assert.throws(() => allocateAddress(s, subnet, ip('10.88.0.7')), /already leased to container web/);
  assert.throws(() => allocateAddress(s, subnet, ip('10.88.0.1')), /network, gateway or broadcast/);
  assert.throws(() => allocateAddress(s, subnet, ip('10.88.255.255')), /network, gateway or broadcast/);
});

test('a store that is not ours is refused, not overwritten', () => {
  assert.throws(() => parseStore('{', '/x/ipam.json'), NetworkError);
  assert.throws(() => parseStore('{"version":2}', '/x/ipam.json'), /not a version 1 address store/);
  assert.deepEqual(parseStore('{"version":1}', 'x'), emptyStore());
});

test('subnet choice avoids host routes, ignores the default route and our own bridge', () => {
  // /proc/net/route as a little-endian host prints it.
  const proc = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'wg0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    'tsm0\t0000590A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n');
  const routes = parseProcRoutes(proc);
  assert.deepEqual(routes[1], { iface: 'eth0', dest: parseCidr('192.0.2.0/24'), gateway: 0 });
  assert.equal(formatIpv4(routes[0]!.gateway), '192.0.2.1');
  assert.deepEqual(chooseSubnet(routes, 'tsm0', null), parseCidr('10.89.0.0/16'));
  assert.deepEqual(chooseSubnet(routes, 'other0', null), parseCidr('10.90.0.0/16'));
  assert.deepEqual(chooseSubnet(routes, 'tsm0', '10.200.0.0/24'), parseCidr('10.200.0.0/24'));
  assert.throws(() => chooseSubnet(routes, 'tsm0', '10.88.4.0/24'), /TSMACHINE_SUBNET 10.88.4.0\/24 collides with the host route 10.88.0.0\/16 on wg0/);
  assert.throws(() => chooseSubnet(routes, 'tsm0', '10.88.4.1/24'), /not an IPv4 subnet/);
  const everything = parseProcRoutes(proc.split('\n')[0] + '\nvpn\t00000000\t00000000\t0001\t0\t0\t0\t00000080\t0\t0\t0\nvpn\t00000080\t00000000\t0001\t0\t0\t0\t00000080\t0\t0\t0');
  assert.throws(() => chooseSubnet(everything, 'tsm0', null), /every candidate subnet/);
});

const IPAM_JS = fileURLToPath(new URL('../../src/network/ipam.js', import.meta.url));
const IPV4_JS = fileURLToPath(new URL('../../src/network/ipv4.js', import.meta.url));

/** One process taking a lease, holding the lock a while so that the others pile up on it. */
const CHILD = `
const { withStore, allocateAddress } = await import(process.env.IPAM_JS);
const { parseCidr, formatIpv4 } = await import(process.env.IPV4_JS);
const cfg = JSON.parse(process.env.CFG);
const a = await withStore(cfg, (store) => {
  const addr = formatIpv4(allocateAddress(store, parseCidr('10.88.0.0/16'), null));
  const until = Date.now() + 20; while (Date.now() < until) {}
  store.leases[process.env.NAME] = { mode: 'bridge', address: addr, prefix: 16, hostIf: null, pid: process.pid, ports: [] };
  return addr;
});
process.stdout.write(a);
`;

function runChild(cfg: NetworkConfig, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, IPAM_JS, IPV4_JS, CFG: JSON.stringify(cfg), NAME: name },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child ${name} exited ${code}`))));
  });
}

test('10 concurrent processes get 10 distinct leases, all recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-ipam-'));
  try {
    const cfg: NetworkConfig = { bridge: 'tsm0', subnet: null, dir, table: 'tsmachine' };
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const addrs = await Promise.all(names.map((n) => runChild(cfg, n)));
    assert.equal(new Set(addrs).size, 10, addrs.join(' '));
    const store = readStore(cfg);
    assert.deepEqual(Object.keys(store.leases).sort(), names);
    assert.deepEqual(names.map((n) => store.leases[n]!.address).sort(), [...addrs].sort());
    // The store survives as plain JSON on disk.
    assert.equal(JSON.parse(readFileSync(join(dir, 'ipam.json'), 'utf8')).version, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing update leaves the store as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-ipam-'));
  try {
    const cfg: NetworkConfig = { bridge: 'tsm0', subnet: null, dir, table: 'tsmachine' };
    writeFileSync(join(dir, 'ipam.json'), JSON.stringify({ version: 1, subnet: null, last: null, leases: { a: lease('10.88.0.2') } }));
    await assert.rejects(withStore(cfg, (s) => {
      s.leases.b = lease('10.88.0.3');
      throw new NetworkError('boom');
    }), /boom/);
    assert.deepEqual(Object.keys(readStore(cfg).leases), ['a']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the veth MTU is the default route\'s interface\'s; none without a default route or a sane number', () => {
  const routes = parseProcRoutes([
    'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT',
    'ens4\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'tsm0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n'));
  const mtus: Record<string, number> = { ens4: 1460, tsm0: 1500 };
  assert.equal(uplinkMtu(routes, (i) => mtus[i] ?? null), 1460);
  assert.equal(uplinkMtu(routes.filter((r) => r.iface !== 'ens4'), (i) => mtus[i] ?? null), 0, 'no default route');
  assert.equal(uplinkMtu(routes, () => null), 0, 'unreadable');
  assert.equal(uplinkMtu(routes, () => 68), 0, 'below IPv4\'s minimum datagram size');
});
