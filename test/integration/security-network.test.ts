/**
 * Network hardening of the bridge mode (the security issue): no IPv6 router
 * advertisements on tsm0, a container can send only from its own leased
 * address and MAC, and a LAN host that routes through this host reaches
 * published ports but no unpublished ones.
 *
 * The container has no CAP_NET_ADMIN (docker's default set), so the spoofing
 * is done as host root from inside its network namespace (nsenter -n, the
 * host's busybox and curl): the frames leave through the same eth0 and veth
 * as the payload's would, which is where the rules act. A raw socket
 * (CAP_NET_RAW, which the container does have) could forge the same frames.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { containerMac } from '../../src/network/names.js';
import { type RunResult, sh, tsmachine, waitUntil } from './helpers.js';

const A = 'secnet-a';
const B = 'secnet-b';
const PUBLISHED = 18090;
const LAN = 'secnetlan';
const LAN2 = 'secnetlan2';
const HOST_LAN = '10.231.20.1';
const PEER = '10.231.20.2';
const PEER2 = '10.231.21.2';
const BRNS = 'secnetbr';
const BRGUEST = '10.231.22.2';

const STORE = '/var/lib/tsmachine/network/ipam.json';

interface Ctr { addr: string; prefix: number; leader: number }
const ctr: Record<string, Ctr> = {};
let gateway = '';

const must = async (cmd: string): Promise<string> => {
  const r = await sh(cmd);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
};
/** Run CMD (host binaries) in the network namespace of container NAME, as host root. */
const inNs = (name: string, cmd: string): Promise<RunResult> => sh(`nsenter -t ${ctr[name]!.leader} -n ${cmd}`);
const inLan = (cmd: string, ns = LAN): Promise<RunResult> => sh(`ip netns exec ${ns} ${cmd}`);
const store = (): { forwardingOurs?: boolean; leases: Record<string, { mode: string }> } =>
  JSON.parse(readFileSync(STORE, 'utf8'));
const bridgeLeases = (): number => Object.values(store().leases).filter((l) => l.mode === 'bridge').length;

/** The throwaway test VM (its fixed machine-id), where a test may reset host-wide settings. */
const inTestVm = (): boolean => readFileSync('/etc/machine-id', 'utf8').trim() === '7e57a11c0ffee0000000000000000001';

before(async () => {
  // Earlier test files (the host tests' own bridge) leave ip_forward on; as at
  // boot, it is off until our first bridged container, which must then isolate.
  if (inTestVm() && (!existsSync(STORE) || bridgeLeases() === 0)) writeFileSync('/proc/sys/net/ipv4/ip_forward', '0');
  for (const [name, extra] of [[A, []], [B, ['-p', `${PUBLISHED}:80`]]] as const) {
    await tsmachine(['rm', '--force', name]);
    const r = await tsmachine(['start', name, '--image', 'httpd', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse((await tsmachine(['status', name, '--json'])).stdout) as { addresses: string[]; leader: number };
    const [addr = '', prefix = '0'] = String(st.addresses[0]).split('/');
    ctr[name] = { addr, prefix: Number(prefix), leader: st.leader };
  }
  gateway = ctr[A]!.addr.replace(/\.\d+$/, '.1');
  for (const name of [A, B]) {
    await waitUntil(`httpd of ${name}`, async () => (await sh(`curl -sS --max-time 3 http://${ctr[name]!.addr}/`)).code === 0, { timeoutMs: 30_000, intervalMs: 300 });
  }
});

after(async () => {
  for (const n of [A, B]) await tsmachine(['rm', '--force', n]);
  await sh('ip link del secbr0 2>/dev/null; true');
  for (const ns of [LAN, LAN2, BRNS]) await sh(`ip netns pids ${ns} 2>/dev/null | xargs -r kill -9; ip netns del ${ns} 2>/dev/null; true`);
});

test('tsm0 takes no IPv6 router advertisements; the host end of a veth has no IPv6; eth0 has the MAC the rules expect', async () => {
  assert.equal(readFileSync('/proc/sys/net/ipv6/conf/tsm0/accept_ra', 'utf8').trim(), '0');
  assert.equal(readFileSync(`/proc/sys/net/ipv6/conf/vt-${A}/disable_ipv6`, 'utf8').trim(), '1');
  assert.equal(readFileSync('/proc/sys/net/ipv6/conf/tsm0/disable_ipv6', 'utf8').trim(), '0', 'only the ports lose IPv6, not the host');
  const mac = await tsmachine(['exec', A, 'cat', '/sys/class/net/eth0/address']);
  assert.equal(mac.stdout.trim(), containerMac(ctr[A]!.addr));
  const rules = await must('nft list table bridge tsmachine');
  assert.match(rules, new RegExp(`"vt-${A}" \\. ${containerMac(ctr[A]!.addr)} \\. ${ctr[A]!.addr.replace(/\./g, '\\.')}`));
});

test('a container sending from an address that is not its lease reaches nothing; from its own it still does', async () => {
  const a = ctr[A]!;
  const b = ctr[B]!;
  // Its own address: the gateway and the neighbour answer (through the payload itself too).
  assert.equal((await tsmachine(['exec', A, 'ping', '-c', '1', '-W', '5', gateway])).code, 0, 'ping of the gateway from the container');
  assert.match((await tsmachine(['exec', A, 'wget', '-qO-', `http://${b.addr}/`])).stdout, /Hello/);

  const spoof = a.addr.replace(/\.\d+$/, '.250');
  assert.notEqual(spoof, a.addr);
  assert.equal((await inNs(A, `ip addr add ${spoof}/${a.prefix} dev eth0`)).code, 0);
  try {
    // Without the guard both would work: the host and B would ARP for .250 and eth0 would answer.
    const curl = await inNs(A, `curl -sS --max-time 3 --interface ${spoof} http://${b.addr}/`);
    assert.notEqual(curl.code, 0, `reached the neighbour from ${spoof}: ${curl.stdout}`);
    const ping = await inNs(A, `busybox ping -c 1 -W 2 -I ${spoof} ${gateway}`);
    assert.notEqual(ping.code, 0, `reached the gateway from ${spoof}`);
    const own = await inNs(A, `curl -sS --max-time 5 --interface ${a.addr} http://${b.addr}/`);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /Hello/);
  } finally {
    await inNs(A, `ip addr del ${spoof}/${a.prefix} dev eth0`);
  }
});

test('a container cannot take over a neighbour\'s address by ARP', async () => {
  const b = ctr[B]!;
  await must(`busybox ping -c 1 -W 3 ${b.addr}`);
  const macB = containerMac(b.addr);
  assert.match(await must(`ip neigh show ${b.addr} dev tsm0`), new RegExp(macB));
  // The kernel ignores a new lladdr within neigh locktime of the last update.
  await new Promise((r) => setTimeout(r, 1500));
  await must(`nsenter -t ${ctr[A]!.leader} -n ip addr add ${b.addr}/32 dev eth0`);
  try {
    // Gratuitous ARP (sender = target = B's address) from A's MAC, and a reply-style one to the gateway.
    await inNs(A, `busybox arping -U -c 2 -s ${b.addr} -I eth0 ${b.addr}`);
    await inNs(A, `busybox arping -A -c 2 -s ${b.addr} -I eth0 ${gateway}`);
    const neigh = await must(`ip neigh show ${b.addr} dev tsm0`);
    assert.doesNotMatch(neigh, new RegExp(containerMac(ctr[A]!.addr)), `the host now sends B's traffic to A: ${neigh}`);
  } finally {
    await inNs(A, `ip addr del ${b.addr}/32 dev eth0`);
  }
  assert.match((await tsmachine(['exec', A, 'wget', '-qO-', `http://${b.addr}/`])).stdout, /Hello/, 'A and B still talk');
});

test('a container that changes its MAC is cut off until it changes it back', async () => {
  const a = ctr[A]!;
  const own = containerMac(a.addr);
  // The host's cached MAC for A would hide the change: it must ask again.
  const forget = (): Promise<RunResult> => sh(`ip neigh del ${a.addr} dev tsm0 2>/dev/null; true`);
  assert.equal((await inNs(A, 'ip link set eth0 address 02:00:00:00:00:99')).code, 0);
  try {
    await forget();
    const ping = await inNs(A, `busybox ping -c 2 -W 2 ${gateway}`);
    assert.notEqual(ping.code, 0, 'a frame from a MAC not its own passed');
  } finally {
    await inNs(A, `ip link set eth0 address ${own}`);
  }
  await forget();
  await waitUntil('the gateway from the container\'s own MAC', async () => (await inNs(A, `busybox ping -c 1 -W 2 ${gateway}`)).code === 0, { timeoutMs: 20_000, intervalMs: 500 });
});

test('a LAN host routing through this host: unpublished ports unreachable, published ones and replies work', async () => {
  const a = ctr[A]!;
  await must(`ip netns add ${LAN} && ip link add seclan0 type veth peer name seclan1 netns ${LAN}`);
  await must(`ip addr add ${HOST_LAN}/24 dev seclan0 && ip link set seclan0 up`);
  await must(`ip -n ${LAN} addr add ${PEER}/24 dev seclan1 && ip -n ${LAN} link set seclan1 up && ip -n ${LAN} link set lo up`);
  await must(`ip -n ${LAN} route add default via ${HOST_LAN}`);

  // The LAN host's own route to the container subnet exists (via us), and the host forwards:
  assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1');
  const direct = await inLan(`curl -sS --max-time 3 http://${a.addr}/`);
  assert.notEqual(direct.code, 0, `an unpublished container port answered the LAN: ${direct.stdout}`);
  const published = await inLan(`curl -sS --max-time 10 http://${HOST_LAN}:${PUBLISHED}/`);
  assert.equal(published.code, 0, published.stderr);
  assert.match(published.stdout, /Hello/);

  // A connection the container opens to the LAN gets its replies back into the bridge.
  mkdirSync('/run/secnet-www', { recursive: true });
  writeFileSync('/run/secnet-www/index.html', 'hello from the LAN\n');
  await must(`ip netns exec ${LAN} busybox httpd -p ${PEER}:8081 -h /run/secnet-www`);
  const out = await waitUntil('the LAN server from the container', async () => {
    const r = await tsmachine(['exec', A, 'wget', '-qO-', `http://${PEER}:8081/`]);
    return r.code === 0 ? r.stdout : null;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  assert.equal(out, 'hello from the LAN\n');
});

test('when tsmachine turned ip_forward on, the host does not route between its other interfaces; it does once the bridge is gone', async (t) => {
  await must(`ip netns add ${LAN2} && ip link add seclan2 type veth peer name seclan3 netns ${LAN2}`);
  await must(`ip addr add 10.231.21.1/24 dev seclan2 && ip link set seclan2 up`);
  await must(`ip -n ${LAN2} addr add ${PEER2}/24 dev seclan3 && ip -n ${LAN2} link set seclan3 up && ip -n ${LAN2} route add default via 10.231.21.1`);
  const across = (): Promise<RunResult> => inLan(`busybox ping -c 1 -W 2 ${PEER2}`);
  // Another bridge (as docker0 or virbr0 would be, made after us) with a guest behind it.
  await must(`ip netns add ${BRNS} && ip link add secbr0 type bridge && ip link add secbr1 type veth peer name secbr2 netns ${BRNS}`);
  await must('ip link set secbr1 master secbr0 && ip link set secbr1 up && ip addr add 10.231.22.1/24 dev secbr0 && ip link set secbr0 up');
  await must(`ip -n ${BRNS} addr add ${BRGUEST}/24 dev secbr2 && ip -n ${BRNS} link set secbr2 up && ip -n ${BRNS} route add default via 10.231.22.1`);
  if (store().forwardingOurs === true) {
    assert.notEqual((await across()).code, 0, 'forwarded between two LAN interfaces while containers run');
    const viaBridge = await waitUntil('the LAN reaching the guest of another bridge', async () => (await inLan(`busybox ping -c 1 -W 2 ${BRGUEST}`)).code === 0, { timeoutMs: 20_000, intervalMs: 500 }).catch(() => false);
    assert.ok(viaBridge, 'forwarding to another bridge is left to its own rules');
  } else {
    assert.ok(!inTestVm(), 'in the VM, before() made the first container turn ip_forward on');
    t.diagnostic('ip_forward was on before the first container: the admin\'s routing is left alone');
    assert.equal((await across()).code, 0);
  }
  // With the last bridged container the tables go; forwarding itself stays on (as with docker).
  for (const n of [A, B]) assert.equal((await tsmachine(['rm', '--force', n])).code, 0);
  if (bridgeLeases() > 0) {
    t.diagnostic('another test\'s bridged container still runs: the table stays');
    return;
  }
  assert.notEqual((await sh('nft list table bridge tsmachine')).code, 0, 'the bridge table went with the last container');
  assert.equal((await across()).code, 0, 'without our table, the host forwards as ip_forward says');
});
