import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseBatch, baseMarker, containerBatch, containerDeleteBatch, parseListing, portDeleteBatch, tableDeleteBatch } from '../../src/network/nft.js';
import { containerChain, containerMac, hostVethName, macBytes, ruleComment } from '../../src/network/names.js';

const fw = { table: 'tsmachine', bridge: 'tsm0', subnet: '10.88.0.0/16', isolate: false };
const web = { hostIf: 'vt-web', mac: containerMac('10.88.0.2'), address: '10.88.0.2' };

test('the base batch only ever names our own two tables and flushes only our base chains', () => {
  const text = baseBatch(fw);
  for (const line of text.trim().split('\n')) {
    assert.match(line, /^(add|flush) (table|chain|rule|set) (inet|bridge) tsmachine\b/, line);
  }
  assert.ok(!/flush chain inet tsmachine publish/.test(text), 'publish holds the containers\' jumps');
  assert.ok(!/flush ruleset|flush table|flush set/.test(text), 'the sets hold the running containers\' ports');
  assert.match(text, /add rule inet tsmachine postrouting ip saddr 10.88.0.0\/16 oifname != "tsm0" masquerade comment "tsm-base tsm0 10.88.0.0\/16"/);
  assert.match(text, /add rule inet tsmachine output fib daddr type local jump publish/);
  assert.match(text, /add rule inet tsmachine guard iifname "tsm0" ip daddr 127.0.0.0\/8 drop/);
});

/** The rules of one chain of the batch, in order, without the base comment. */
function chainRules(text: string, family: string, chain: string): string[] {
  const head = `add rule ${family} tsmachine ${chain} `;
  return text.split('\n').filter((l) => l.startsWith(head)).map((l) => l.slice(head.length).replace(/ comment "tsm-base [^"]*"$/, ''));
}

test('forward: out of the bridge accepted; into it only replies and published ports; policy accept for the rest', () => {
  const text = baseBatch(fw);
  assert.match(text, /add chain inet tsmachine forward \{ type filter hook forward priority filter; policy accept; \}/);
  assert.deepEqual(chainRules(text, 'inet', 'forward'), [
    'iifname "tsm0" accept',
    'oifname "tsm0" ct state established,related accept',
    'oifname "tsm0" ct status dnat accept',
    'oifname "tsm0" drop',
  ]);
  assert.deepEqual(chainRules(text, 'inet', 'isolate'), [], 'forwarding was the admin\'s choice: no drop of ours');
});

test('forward with isolation (we turned ip_forward on): IPv4 between two non-bridge interfaces is dropped', () => {
  const text = baseBatch({ ...fw, isolate: true });
  const forward = chainRules(text, 'inet', 'forward');
  // The bridge's own rules come first: the isolation never sees its traffic.
  assert.deepEqual(forward.slice(0, 4), chainRules(baseBatch(fw), 'inet', 'forward'));
  assert.deepEqual(forward.slice(4), ['meta nfproto ipv4 jump isolate']);
  assert.deepEqual(chainRules(text, 'inet', 'isolate'), [
    'meta iifkind "bridge" return',
    'meta oifkind "bridge" return',
    'drop',
  ]);
  assert.match(text, /^flush chain inet tsmachine isolate$/m);
});

test('anti-spoofing: the bridge-family guard judges only our ports and lets through only their own MAC and address', () => {
  const text = baseBatch(fw);
  assert.match(text, /^add set bridge tsmachine ports \{ type ifname; \}$/m);
  assert.match(text, /^add set bridge tsmachine sources \{ type ifname \. ether_addr \. ipv4_addr; \}$/m);
  assert.match(text, /^add chain bridge tsmachine guard \{ type filter hook prerouting priority filter; policy accept; \}$/m);
  assert.deepEqual(chainRules(text, 'bridge', 'guard'), [
    'iifname != @ports accept',
    'ether type ip iifname . ether saddr . ip saddr @sources accept',
    'ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 iifname . ether saddr . arp saddr ip @sources iifname . arp saddr ether . arp saddr ip @sources accept',
    'drop',
  ]);
  const lines = text.trim().split('\n');
  assert.ok(lines.indexOf('flush chain bridge tsmachine guard') < lines.findIndex((l) => l.startsWith('add rule bridge')));
});

test('a container batch: its port in the sets, its chain, one DNAT per port, one commented jump', () => {
  const text = containerBatch(fw, 'web', web, [
    { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
  ]);
  assert.ok(text.startsWith(baseBatch(fw)));
  const own = text.slice(baseBatch(fw).length).trim().split('\n');
  assert.deepEqual(own, [
    'add element bridge tsmachine sources { "vt-web" . 02:74:0a:58:00:02 . 10.88.0.2 }',
    'add element bridge tsmachine ports { "vt-web" }',
    'add chain inet tsmachine ctr-web',
    'flush chain inet tsmachine ctr-web',
    'add rule inet tsmachine ctr-web meta nfproto ipv4 tcp dport 8080 dnat ip to 10.88.0.2:80',
    'add rule inet tsmachine ctr-web meta nfproto ipv4 ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.88.0.2:53',
    'add rule inet tsmachine publish jump ctr-web comment "tsm:web"',
  ]);
  const quiet = { hostIf: 'vt-quiet', mac: containerMac('10.88.0.3'), address: '10.88.0.3' };
  assert.equal(containerBatch(fw, 'quiet', quiet, []),
    `${baseBatch(fw)}add element bridge tsmachine sources { "vt-quiet" . 02:74:0a:58:00:03 . 10.88.0.3 }\nadd element bridge tsmachine ports { "vt-quiet" }\n`);
});

test('a port leaves the sets by exact key, valid whether or not it (or the table) is there', () => {
  assert.equal(portDeleteBatch(fw, web), [
    'add table bridge tsmachine',
    'add set bridge tsmachine ports { type ifname; }',
    'add set bridge tsmachine sources { type ifname . ether_addr . ipv4_addr; }',
    'add element bridge tsmachine sources { "vt-web" . 02:74:0a:58:00:02 . 10.88.0.2 }',
    'add element bridge tsmachine ports { "vt-web" }',
    'delete element bridge tsmachine ports { "vt-web" }',
    'delete element bridge tsmachine sources { "vt-web" . 02:74:0a:58:00:02 . 10.88.0.2 }',
    '',
  ].join('\n'));
  assert.equal(tableDeleteBatch('tsmachine'),
    'add table inet tsmachine\ndelete table inet tsmachine\nadd table bridge tsmachine\ndelete table bridge tsmachine\n');
});

test('container MACs: locally administered unicast, derived from the address, as bytes for netlink', () => {
  assert.equal(containerMac('10.88.0.2'), '02:74:0a:58:00:02');
  assert.equal(containerMac('192.168.239.254'), '02:74:c0:a8:ef:fe');
  assert.deepEqual([...macBytes('02:74:c0:a8:ef:fe')], [2, 0x74, 0xc0, 0xa8, 0xef, 0xfe]);
  const first = macBytes(containerMac('172.30.1.1'))[0]!;
  assert.equal(first & 1, 0, 'unicast');
  assert.equal(first & 2, 2, 'locally administered');
});

test('the base batch is idempotent: its chains are flushed before their rules go in again, the publish chain is not', () => {
  for (const f of [fw, { ...fw, isolate: true }]) {
    const lines = baseBatch(f).trim().split('\n');
    for (const family of ['inet', 'bridge']) {
      const firstRule = lines.findIndex((l) => l.startsWith(`add rule ${family}`));
      for (const chain of new Set(lines.filter((l) => l.startsWith(`add rule ${family}`)).map((l) => l.split(' ')[4]))) {
        const flush = lines.indexOf(`flush chain ${family} tsmachine ${chain}`);
        assert.ok(flush >= 0 && flush < firstRule, `${family} ${chain} is not flushed before the rules`);
      }
    }
    assert.ok(!lines.includes('flush chain inet tsmachine publish'), 'the containers\' jumps would be lost');
    assert.ok(lines.every((l) => !l.startsWith('add rule') || l.endsWith(`comment "${baseMarker(f)}"`)));
  }
});

const LISTING = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'tsmachine', handle: 1 } },
    { chain: { family: 'inet', table: 'tsmachine', name: 'publish', handle: 7 } },
    { chain: { family: 'inet', table: 'tsmachine', name: 'ctr-web', handle: 9 } },
    { chain: { family: 'inet', table: 'tsmachine', name: 'ctr-web2', handle: 11 } },
    { rule: { family: 'inet', table: 'tsmachine', chain: 'publish', handle: 10, comment: 'tsm:web', expr: [] } },
    { rule: { family: 'inet', table: 'tsmachine', chain: 'publish', handle: 12, comment: 'tsm:web2', expr: [] } },
    { rule: { family: 'inet', table: 'tsmachine', chain: 'ctr-web', handle: 13, expr: [] } },
  ],
});

test('teardown removes exactly the container\'s jump (by handle) and chain', () => {
  const listing = parseListing(LISTING);
  assert.deepEqual(listing.chains, ['publish', 'ctr-web', 'ctr-web2']);
  assert.equal(containerDeleteBatch(fw, 'web', listing),
    'delete rule inet tsmachine publish handle 10\nflush chain inet tsmachine ctr-web\ndelete chain inet tsmachine ctr-web\n');
  assert.equal(containerDeleteBatch(fw, 'gone', listing), null);
  assert.deepEqual(parseListing('{}'), { chains: [], rules: [] });
});

test('names: veth host ends fit IFNAMSIZ and stay distinct; chains and comments stay in nft syntax', () => {
  assert.equal(hostVethName('web'), 'vt-web');
  assert.equal(hostVethName('abcdefghijkl'), 'vt-abcdefghijkl');
  const long = ['a-very-long-container-name-1', 'a-very-long-container-name-2', 'weird name/x', 'ünïcode-näme'].map(hostVethName);
  for (const n of long) {
    assert.ok(Buffer.byteLength(n) <= 15, n);
    assert.match(n, /^vt-[A-Za-z0-9_.-]+$/);
  }
  assert.equal(new Set(long).size, long.length);
  assert.equal(containerChain('web.1'), 'ctr-web.1');
  assert.match(containerChain('we"b'), /^ctr-[0-9a-f]{16}$/);
  assert.match(ruleComment('we"b'), /^tsm:#[0-9a-f]{16}$/);
});
