/**
 * Networking through the CLI (issue 5): the default bridge mode end to end,
 * as a user of docker/podman expects it, checked with curl from the VM host,
 * machinectl and the container's own view.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tsmachine, waitUntil } from './helpers.js';

const sh = (cmd: string): string => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const created: string[] = [];
const addrOf = async (name: string): Promise<string> => {
  const st = JSON.parse((await tsmachine(['status', name, '--json'])).stdout);
  assert.equal(st.addresses.length, 1, `${name} has one address: ${JSON.stringify(st.addresses)}`);
  return String(st.addresses[0]).split('/')[0]!;
};
const curl = (url: string): string => sh(`curl -sS --max-time 5 ${url}`);

after(async () => {
  for (const n of created) await tsmachine(['rm', '--force', n]);
  sh('nft list tables');
});

test('two httpd containers on port 80, each reachable by its own address, and from each other', async () => {
  for (const n of ['web1', 'web2']) {
    created.push(n);
    const r = await tsmachine(['start', n, '--image', 'httpd']);
    assert.equal(r.code, 0, r.stderr);
  }
  const [a1, a2] = [await addrOf('web1'), await addrOf('web2')];
  assert.notEqual(a1, a2);
  for (const a of [a1, a2]) {
    const page = await waitUntil(`http://${a}/`, () => { try { return curl(`http://${a}/`); } catch { return null; } }, { timeoutMs: 20_000, intervalMs: 300 });
    assert.match(page, /Hello from a tsmachine container/);
  }
  const cross = await tsmachine(['exec', 'web1', 'wget', '-qO-', `http://${a2}/`]);
  assert.equal(cross.code, 0, cross.stderr);
  assert.match(cross.stdout, /Hello/);
  const links = await tsmachine(['exec', 'web1', 'sh', '-c', 'ls /sys/class/net']);
  assert.deepEqual(links.stdout.trim().split(/\s+/).sort(), ['eth0', 'lo']);
  assert.match(sh('machinectl status web1 --no-pager -n 0'), new RegExp(`Address: ${a1.replace(/\./g, '\\.')}`));
  const resolv = await tsmachine(['exec', 'web1', 'cat', '/etc/resolv.conf']);
  assert.doesNotMatch(resolv.stdout, /127\.0\.0\.53/, 'no unreachable stub resolver inside');
  const hosts = await tsmachine(['exec', 'web1', 'cat', '/etc/hosts']);
  assert.match(hosts.stdout, new RegExp(`${a1.replace(/\./g, '\\.')}\\s+web1`));
});

test('-p 8080:80 answers on 127.0.0.1:8080; stop and rm leave no veth, rule or lease', async () => {
  created.push('pub');
  const r = await tsmachine(['start', 'pub', '--image', 'httpd', '-p', '8080:80']);
  assert.equal(r.code, 0, r.stderr);
  const page = await waitUntil('127.0.0.1:8080', () => { try { return curl('http://127.0.0.1:8080/'); } catch { return null; } }, { timeoutMs: 20_000, intervalMs: 300 });
  assert.match(page, /Hello/);
  const dup = await tsmachine(['start', 'pub2', '--image', 'httpd', '-p', '8080:80']);
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, /8080/);
  // An address this host does not have is refused before anything is made.
  const far = await tsmachine(['start', 'pub3', '--image', 'httpd', '-p', '10.9.9.9:8081:80']);
  assert.equal(far.code, 125);
  assert.equal(far.stderr.trim(), 'tsmachine: start pub3: --publish 10.9.9.9:8081:80/tcp: 10.9.9.9 is not an address of this host');
  assert.ok(!existsSync('/var/lib/tsmachine/containers/pub3'));
  assert.equal((await tsmachine(['rm', '--force', 'pub'])).code, 0);
  assert.doesNotMatch(sh('ip -o link'), /vt-pub\b/);
  assert.doesNotMatch(sh('nft list ruleset 2>/dev/null || true'), /tsm:pub\b/);
  assert.doesNotMatch(sh('cat /var/lib/tsmachine/network/ipam.json 2>/dev/null || true'), /"pub"/);
});

test('--network none sees only lo; --network host sees the host\'s links', async () => {
  created.push('isolated', 'hostnet');
  assert.equal((await tsmachine(['start', 'isolated', '--image', 'httpd', '--network', 'none', '--', 'sleep', '1000'])).code, 0);
  assert.equal((await tsmachine(['exec', 'isolated', 'ls', '/sys/class/net'])).stdout.trim(), 'lo');
  assert.equal((await tsmachine(['start', 'hostnet', '--image', 'httpd', '--network', 'host', '--', 'sleep', '1000'])).code, 0);
  const inside = (await tsmachine(['exec', 'hostnet', 'ls', '/sys/class/net'])).stdout.trim().split(/\s+/).sort();
  assert.deepEqual(inside, sh('ls /sys/class/net').trim().split(/\s+/).sort());
});

test('macvlan and ipvlan: httpd answers on its --ip from the LAN; rm takes the link off the parent and frees the lease', async () => {
  // A veth pair stands in for a NIC and its LAN (the VM has no network):
  // the containers attach to PARENT, and the host talks from PARENTp, the
  // LAN's side. One parent per mode: a device carries macvlan or ipvlan
  // ports, not both.
  for (const [mode, parent, net] of [['macvlan', 'tsmlan0', '10.231.9'], ['ipvlan', 'tsmlan1', '10.231.10']] as const) {
    const name = `l2${mode}`;
    sh(`ip link add ${parent} type veth peer name ${parent}p && ip link set ${parent} up && ip link set ${parent}p up && ip addr add ${net}.1/24 dev ${parent}p`);
    try {
      created.push(name);
      const r = await tsmachine(['start', name, '--image', 'httpd', '--network', `${mode}:${parent}`, '--ip', `${net}.5/24`]);
      assert.equal(r.code, 0, r.stderr);
      const st = JSON.parse((await tsmachine(['status', name, '--json'])).stdout);
      assert.deepEqual(st.addresses, [`${net}.5/24`]);
      const link = JSON.parse(sh(`nsenter -t ${st.leader} -n ip -j -d link show eth0`)) as { linkinfo?: { info_kind?: string } }[];
      assert.equal(link[0]?.linkinfo?.info_kind, mode, `eth0 is a ${mode} link`);
      const page = await waitUntil(`http://${net}.5/ over ${mode}`, () => { try { return curl(`http://${net}.5/`); } catch { return null; } }, { timeoutMs: 20_000, intervalMs: 300 });
      assert.match(page, /Hello from a tsmachine container/);

      const taken = await tsmachine(['start', `${name}b`, '--image', 'httpd', '--network', `${mode}:${parent}`, '--ip', `${net}.5/24`]);
      assert.notEqual(taken.code, 0, 'a second container cannot have the same --ip');
      assert.match(taken.stderr, /already leased to container/);

      assert.equal((await tsmachine(['rm', '--force', name])).code, 0);
      // The parent takes a port of the other kind only once the last one of this kind is gone.
      const other = mode === 'macvlan' ? 'ipvlan' : 'macvlan';
      sh(`ip link add link ${parent} name tsmprobe type ${other} && ip link del tsmprobe`);
      const again = await tsmachine(['start', name, '--image', 'httpd', '--network', `${mode}:${parent}`, '--ip', `${net}.5/24`]);
      assert.equal(again.code, 0, `the lease was released: ${again.stderr}`);
      assert.equal((await tsmachine(['rm', '--force', name])).code, 0);
    } finally {
      sh(`ip link del ${parent} || true`);
    }
  }
});
