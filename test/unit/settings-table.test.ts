import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings } from '../../src/config/settings/apply.js';
import { SettingsError } from '../../src/config/settings/error.js';
import { SETTINGS_TABLE } from '../../src/config/settings/table.js';
import * as v from '../../src/config/settings/values.js';
import { InvalidValue } from '../../src/config/settings/error.js';

const F = '/etc/tsmachine/web.tsmachine';
const parse = (text: string) => parseSettings(text, F);

test('every section and key of the table maps to a distinct Section.Key', () => {
  const names = SETTINGS_TABLE.map((k) => `${k.section}.${k.key}`);
  assert.equal(new Set(names).size, names.length);
});

test('a full file maps onto ContainerOptions with origins', () => {
  const r = parse(`[Exec]
Parameters=/usr/bin/httpd -f "/etc/my conf"
Environment=A=1 "B=two words"
Hostname=web
WorkingDirectory=/srv
User=app:staff
NoNewPrivileges=true
SeccompProfile=unconfined

[Files]
Image=httpd
Bind=/srv/data
BindReadOnly=/etc/ssl:/ssl

[Network]
Mode=bridge
Port=8080:80
IP=10.0.0.5
DNS=1.1.1.1 9.9.9.9

[Resources]
CPUQuota=50%
MemoryMax=64M
TasksMax=100
AllowedCPUs=0-1 3
IOWeight=200
`);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.options, {
    command: ['/usr/bin/httpd', '-f', '/etc/my conf'],
    env: ['A=1', 'B=two words'],
    hostname: 'web',
    workdir: '/srv',
    user: 'app:staff',
    noNewPrivileges: 'yes',
    seccomp: 'unconfined',
    image: 'httpd',
    bind: ['/srv/data:/srv/data', '/etc/ssl:/ssl:ro'],
    network: 'bridge',
    publish: ['8080:80/tcp'],
    ip: '10.0.0.5',
    dns: ['1.1.1.1', '9.9.9.9'],
    cpus: '0.5',
    memory: '64M',
    pidsLimit: '100',
    cpusetCpus: '0-1,3',
    ioWeight: '200',
  });
  assert.equal(r.origins.hostname, `${F}:4`);
  assert.equal(r.origins.cpus, `${F}:22`);
  assert.equal(r.origins.seccomp, `${F}:8`);
  assert.equal(r.origins.user, `${F}:6`);
});

test('repeated list keys accumulate; an empty assignment resets the list', () => {
  const r = parse('[Exec]\nEnvironment=A=1\nEnvironment=B=2\n[Files]\nBind=/a\nBind=\nBind=/b:/c\nBindReadOnly=/d\n[Exec]\nEnvironment=C=3\n');
  assert.deepEqual(r.options.env, ['A=1', 'B=2', 'C=3']);
  assert.deepEqual(r.options.bind, ['/b:/c', '/d:/d:ro']);
  assert.equal(r.origins.env, `${F}:10`);
  const reset = parse('[Network]\nDNS=1.1.1.1\nDNS=\n');
  assert.deepEqual(reset.options.dns, []);
  assert.equal(reset.origins.dns, `${F}:3`);
});

test('a repeated scalar key: the last one wins; an empty one unsets', () => {
  const r = parse('[Exec]\nHostname=a\nHostname=b\n[Resources]\nMemoryMax=1G\nMemoryMax=\n');
  assert.equal(r.options.hostname, 'b');
  assert.equal(r.origins.hostname, `${F}:3`);
  assert.equal('memory' in r.options, false);
  assert.equal('memory' in r.origins, false);
});

test('CPUQuota percent converts to CPUs, above 100% too', () => {
  const cases: Array<[string, string]> = [
    ['50%', '0.5'], ['100%', '1'], ['150%', '1.5'], ['250%', '2.5'], ['12.5%', '0.125'],
    ['1%', '0.01'], ['0.5%', '0.005'], ['12.34%', '0.1234'], ['800%', '8'], ['007%', '0.07'],
  ];
  for (const [pct, cpus] of cases) assert.equal(v.cpuQuota(pct), cpus, pct);
  for (const bad of ['50', '0%', '0.00%', '-5%', '1.234%', 'half', '%', '5 %']) assert.throws(() => v.cpuQuota(bad), InvalidValue, bad);
});

test('Port converts nspawn syntax to HOSTPORT:CPORT/proto', () => {
  const cases: Array<[string, string]> = [
    ['80', '80:80/tcp'], ['8080:80', '8080:80/tcp'], ['tcp:8080:80', '8080:80/tcp'],
    ['udp:53', '53:53/udp'], ['udp:5353:53', '5353:53/udp'],
  ];
  for (const [nspawn, ours] of cases) assert.deepEqual(v.port(nspawn), [ours], nspawn);
  for (const bad of ['0', '65536', 'sctp:80', 'tcp:', '1:2:3', 'http', '80:', ':80', '+80']) assert.throws(() => v.port(bad), InvalidValue, bad);
});

test('the same host port twice is refused, as nspawn does; per protocol', () => {
  assert.deepEqual(parse('[Network]\nPort=80\nPort=udp:80\n').options.publish, ['80:80/tcp', '80:80/udp']);
  assert.throws(() => parse('[Network]\nPort=80\nPort=tcp:80:8080\n'), { message: /:3: Port= 'tcp:80:8080' duplicates/ });
  assert.deepEqual(parse('[Network]\nPort=80\nPort=\nPort=80\n').options.publish, ['80:80/tcp']);
});

test('unknown sections and keys warn with file:line and are ignored; X- ones silently', () => {
  const r = parse('[Exec]\nFoo=1\nHostname=h\n[Bogus]\nHostname=no\n[X-Mine]\nA=1\n[Files]\nX-Note=1\n');
  assert.deepEqual(r.warnings, [
    `${F}:4: unknown section [Bogus], ignoring`,
    `${F}:2: unknown key 'Foo' in [Exec], ignoring`,
  ]);
  assert.deepEqual(r.options, { hostname: 'h' });
});

test('keys are case-sensitive, as in systemd', () => {
  assert.deepEqual(parse('[Exec]\nhostname=h\n').warnings, [`${F}:2: unknown key 'hostname' in [Exec], ignoring`]);
});

test('invalid values fail with file:line and the key', () => {
  const bad: Array<[string, string]> = [
    ['[Resources]\n\nMemoryMax=lots\n', `${F}:3: MemoryMax= 'lots' is not a size`],
    ['[Resources]\nCPUQuota=0.5\n', `${F}:2: CPUQuota= '0.5' is not a percentage such as 50% or 200%`],
    ['[Resources]\nTasksMax=10%\n', `${F}:2: TasksMax= '10%' is not a number or 'infinity'`],
    ['[Resources]\nIOWeight=0\n', `${F}:2: IOWeight= '0' is not a weight between 1 and 10000`],
    ['[Resources]\nAllowedCPUs=3-1\n', `${F}:2: AllowedCPUs= '3-1' is not a CPU list such as 0-1,3`],
    ['[Exec]\nHostname=web_1\n', `${F}:2: Hostname= 'web_1' is not a valid hostname`],
    ['[Exec]\nWorkingDirectory=srv\n', `${F}:2: WorkingDirectory= 'srv' is not an absolute path`],
    ['[Exec]\nEnvironment=NOEQUALS\n', `${F}:2: Environment= 'NOEQUALS' is not a NAME=VALUE assignment`],
    ['[Exec]\nParameters=sh -c "echo\n', `${F}:2: Parameters= unterminated quote in 'sh -c "echo'`],
    ['[Files]\nBind=relative:/x\n', `${F}:2: Bind= 'relative:/x': source and destination must be absolute paths`],
    ['[Files]\nBind=/a:/b:rbind\n', `${F}:2: Bind= '/a:/b:rbind': mount options and ':' in paths are not supported`],
    ['[Exec]\nNoNewPrivileges=maybe\n', `${F}:2: NoNewPrivileges= 'maybe' is not a boolean (yes or no)`],
    ['[Exec]\nSeccompProfile=strict\n', `${F}:2: SeccompProfile= 'strict' is not default or unconfined`],
    ['[Network]\nMode=veth\n', `${F}:2: Mode= 'veth' is not one of bridge, none, host, macvlan:IFACE, ipvlan:IFACE`],
    ['[Network]\nIP=10.0.0.300\n', `${F}:2: IP= '10.0.0.300' is not an IP address`],
    ['[Network]\nDNS=1.1.1.1 dns.example\n', `${F}:2: DNS= 'dns.example' is not an IP address`],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parse(text), (e: unknown) => {
      assert.ok(e instanceof SettingsError, message);
      assert.equal(e.message, message);
      return true;
    });
  }
});

test('a value continued over lines reports the line of its key', () => {
  assert.throws(() => parse('[Resources]\nMemoryMax=1\\\nG lots\n'), { message: `${F}:2: MemoryMax= '1 G lots' is not a size` });
});

test('accepted values pass through as written', () => {
  assert.equal(v.size('infinity'), 'infinity');
  assert.equal(v.size('1.5G'), '1.5G');
  assert.equal(v.size('4096'), '4096');
  assert.equal(v.countOrInfinity('infinity'), 'infinity');
  assert.equal(v.networkMode('macvlan:eth0'), 'macvlan:eth0');
  assert.equal(v.ipAddress('fd00::5'), 'fd00::5');
  assert.equal(v.cpuList('0,2-3'), '0,2-3');
});

test("NoNewPrivileges= takes systemd's booleans, held as yes or no; an empty one unsets", () => {
  for (const t of ['yes', 'YES', 'true', '1', 'on', 'y', 't']) assert.equal(v.boolean(t), 'yes', t);
  for (const f of ['no', 'false', '0', 'off', 'n', 'f']) assert.equal(v.boolean(f), 'no', f);
  assert.equal(parse('[Exec]\nNoNewPrivileges=no\n').options.noNewPrivileges, 'no');
  assert.equal(parse('[Exec]\nNoNewPrivileges=yes\nNoNewPrivileges=\n').options.noNewPrivileges, undefined);
  assert.equal(parse('[Exec]\nSeccompProfile=default\n').options.seccomp, 'default');
});
