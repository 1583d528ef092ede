import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseBatch, baseMarker, containerBatch, containerDeleteBatch, parseListing } from '../../src/network/nft.js';
import { containerChain, hostVethName, ruleComment } from '../../src/network/names.js';

const fw = { table: 'tsmachine', bridge: 'tsm0', subnet: '10.88.0.0/16' };

test('the base batch only ever names our own table and flushes only our base chains', () => {
  const text = baseBatch(fw);
  for (const line of text.trim().split('\n')) {
    assert.match(line, /^(add|flush) (table|chain|rule) inet tsmachine\b/, line);
  }
  assert.ok(!/flush chain inet tsmachine publish/.test(text), 'publish holds the containers\' jumps');
  assert.ok(!/flush ruleset|flush table/.test(text));
  assert.match(text, /add rule inet tsmachine postrouting ip saddr 10.88.0.0\/16 oifname != "tsm0" masquerade comment "tsm-base tsm0 10.88.0.0\/16"/);
  assert.match(text, /add rule inet tsmachine output fib daddr type local jump publish/);
  assert.match(text, /add rule inet tsmachine guard iifname "tsm0" ip daddr 127.0.0.0\/8 drop/);
  assert.match(text, /add rule inet tsmachine forward iifname "tsm0" accept/);
});

test('a container batch: its chain, one DNAT per port, one commented jump', () => {
  const text = containerBatch(fw, 'web', '10.88.0.2', [
    { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
  ]);
  assert.ok(text?.startsWith(baseBatch(fw)));
  const own = text!.slice(baseBatch(fw).length).trim().split('\n');
  assert.deepEqual(own, [
    'add chain inet tsmachine ctr-web',
    'flush chain inet tsmachine ctr-web',
    'add rule inet tsmachine ctr-web meta nfproto ipv4 tcp dport 8080 dnat ip to 10.88.0.2:80',
    'add rule inet tsmachine ctr-web meta nfproto ipv4 ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.88.0.2:53',
    'add rule inet tsmachine publish jump ctr-web comment "tsm:web"',
  ]);
  assert.equal(containerBatch(fw, 'quiet', '10.88.0.3', []), baseBatch(fw));
});

test('the base batch is idempotent: its chains are flushed before their rules go in again, the publish chain is not', () => {
  const lines = baseBatch(fw).trim().split('\n');
  const firstRule = lines.findIndex((l) => l.startsWith('add rule'));
  for (const chain of new Set(lines.filter((l) => l.startsWith('add rule')).map((l) => l.split(' ')[4]))) {
    const flush = lines.indexOf(`flush chain inet tsmachine ${chain}`);
    assert.ok(flush >= 0 && flush < firstRule, `${chain} is not flushed before the rules`);
  }
  assert.ok(!lines.includes('flush chain inet tsmachine publish'), 'the containers\' jumps would be lost');
  assert.ok(lines.every((l) => !l.startsWith('add rule') || l.endsWith(`comment "${baseMarker(fw)}"`)));
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
