import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHostAddressesLocal, localIpv4Addresses, NetworkError, parseNetworkOptions } from '../../src/network/index.js';
import { parsePublish } from '../../src/network/publish.js';
import { TsmError } from '../../src/errors.js';

test('modes: bridge by default, none, host, macvlan:PARENT, ipvlan:PARENT', () => {
  assert.deepEqual(parseNetworkOptions({}), { mode: 'bridge', parent: null, ip: null, publish: [], dns: [] });
  assert.equal(parseNetworkOptions({ network: 'none' }).mode, 'none');
  assert.equal(parseNetworkOptions({ network: 'host' }).mode, 'host');
  assert.deepEqual(parseNetworkOptions({ network: 'macvlan:eth0' }), { mode: 'macvlan', parent: 'eth0', ip: null, publish: [], dns: [] });
  assert.deepEqual(parseNetworkOptions({ network: 'ipvlan:enp1s0.100' }).parent, 'enp1s0.100');
});

test('bad input is one NetworkError line naming the flag', () => {
  const bad: [Parameters<typeof parseNetworkOptions>[0], RegExp][] = [
    [{ network: 'overlay' }, /--network "overlay": unknown mode/],
    [{ network: 'macvlan' }, /name the parent interface/],
    [{ network: 'macvlan:' }, /name the parent interface/],
    [{ network: 'ipvlan:a/b' }, /not an interface name/],
    [{ network: 'macvlan:waytoolonginterfacename' }, /not an interface name/],
    [{ network: 'bridge:x' }, /takes no ":" argument/],
    [{ ip: '10.88.0.300' }, /--ip "10.88.0.300" is not an IPv4 address/],
    [{ ip: '10.88.0.02' }, /not an IPv4 address/],
    [{ ip: 'fe80::1' }, /not an IPv4 address/],
    [{ ip: '10.88.0.5/16' }, /give the address alone/],
    [{ network: 'macvlan:eth0', ip: '192.168.1.5' }, /needs ADDRESS\/PREFIX/],
    [{ network: 'macvlan:eth0', ip: '192.168.1.5/33' }, /prefix must be 1-32/],
    [{ network: 'none', ip: '10.0.0.1' }, /--ip cannot be used with --network none/],
    [{ network: 'host', publish: ['80:80'] }, /--publish needs --network bridge/],
    [{ network: 'macvlan:eth0', publish: ['80:80'] }, /--publish needs --network bridge/],
    [{ publish: ['8080:80', '8080:81'] }, /host port 8080\/tcp is already given/],
    [{ publish: ['127.0.0.1:8080:80', '8080:81'] }, /already given/],
    [{ dns: ['resolver.example'] }, /--dns "resolver.example" is not an IP address/],
  ];
  for (const [opts, re] of bad) {
    assert.throws(() => parseNetworkOptions(opts), (e: unknown) => {
      assert.ok(e instanceof NetworkError && e instanceof TsmError, JSON.stringify(opts));
      assert.equal(e.module, 'network');
      assert.match(e.message, re, JSON.stringify(opts));
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  }
});

test('static addresses, dns and the same port on two protocols or host IPs', () => {
  const p = parseNetworkOptions({ ip: '10.88.0.9', dns: ['1.1.1.1', '2606:4700::1111'], publish: ['53:53/udp', '53:53/tcp', '127.0.0.1:9000:90', '192.0.2.9:9000:90'] });
  assert.deepEqual(p.ip, { address: '10.88.0.9', prefix: null });
  assert.deepEqual(p.dns, ['1.1.1.1', '2606:4700::1111']);
  assert.equal(p.publish.length, 4);
  assert.deepEqual(parseNetworkOptions({ network: 'ipvlan:eth0', ip: '192.168.1.50/24' }).ip, { address: '192.168.1.50', prefix: 24 });
});

test('publish specs: [HOSTIP:]HOSTPORT:CPORT[/tcp|udp]', () => {
  const good: [string, ReturnType<typeof parsePublish>][] = [
    ['8080:80', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['8080:80/udp', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'udp' }],
    ['8080:80/TCP', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['127.0.0.1:8080:80', { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['0.0.0.0:8080:80', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    [':8080:80', { hostIp: null, hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['1:65535', { hostIp: null, hostPort: 1, containerPort: 65535, protocol: 'tcp' }],
  ];
  for (const [spec, want] of good) assert.deepEqual(parsePublish(spec), want, spec);
  const bad = ['80', '', '0:80', '65536:80', '80:0', 'a:80', '80:b', '8080:80/sctp', '1.2.3:80:80', '1:2:3:4', '80-81:80', '-1:80', '[::1]:80:80'];
  for (const spec of bad) assert.throws(() => parsePublish(spec), NetworkError, spec);
});

test('a published host address must be one of the host\'s; the wildcard and no address always pass', () => {
  const plan = parseNetworkOptions({ publish: ['127.0.0.1:8080:80', '8081:80', '0.0.0.0:8082:80'] });
  checkHostAddressesLocal(plan.publish, ['127.0.0.1', '10.0.2.15']);
  const far = parseNetworkOptions({ publish: ['10.9.9.9:8080:80/udp'] });
  assert.throws(() => checkHostAddressesLocal(far.publish, ['127.0.0.1', '10.0.2.15']),
    (e: unknown) => e instanceof NetworkError && e.message === '--publish 10.9.9.9:8080:80/udp: 10.9.9.9 is not an address of this host');
  assert.ok(localIpv4Addresses().includes('127.0.0.1'), 'this host\'s own list has loopback');
});
