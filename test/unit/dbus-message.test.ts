/** Message framing, addresses, match rules and the auth line: pure parts of the client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from '../../src/systemd/dbus/message.js';
import { marshal, Writer } from '../../src/systemd/dbus/marshal.js';
import { parseAddress } from '../../src/systemd/dbus/address.js';
import { matchRuleString, ruleMatches } from '../../src/systemd/dbus/match.js';
import { externalAuthLine } from '../../src/systemd/dbus/auth.js';
import { DBusConnectionError, DBusProtocolError } from '../../src/systemd/dbus/errors.js';
import { systemBusAddress, DEFAULT_SYSTEM_BUS_ADDRESS } from '../../src/systemd/bus.js';

test('messages round-trip with their header fields', () => {
  const msgs: Message[] = [
    { type: MessageType.MethodCall, flags: 0, serial: 1, destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', signature: '', body: [] },
    { type: MessageType.MethodCall, flags: 4, serial: 0xffffffff, destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'KillUnit', signature: 'ssi', body: ['a.scope', 'all', 9] },
    { type: MessageType.MethodReturn, flags: 1, serial: 2, replySerial: 1, destination: ':1.5', sender: 'org.freedesktop.DBus', signature: 's', body: [':1.5'] },
    { type: MessageType.Error, flags: 1, serial: 3, replySerial: 9, errorName: 'org.freedesktop.systemd1.UnitExists', signature: 's', body: ['Unit x.scope already exists.'] },
    { type: MessageType.Signal, flags: 1, serial: 4, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', signature: 'uoss', body: [7, '/org/freedesktop/systemd1/job/7', 'x.scope', 'done'] },
  ];
  for (const m of msgs) {
    const bytes = encodeMessage(m);
    assert.equal(messageLength(bytes), bytes.length);
    assert.equal(messageLength(bytes.subarray(0, 15)), null, 'needs 16 bytes');
    assert.deepEqual(decodeMessage(bytes), m);
  }
});

test('required header fields are enforced, unknown ones ignored', () => {
  const raw = (type: number, fields: [number, string, string | number][], serial = 1): Uint8Array => {
    const w = new Writer();
    marshal('yyyyuua(yv)', [0x6c, type, 0, 1, 0, serial, fields.map(([c, s, v]) => [c, { signature: s, value: v }])], w);
    w.align(8);
    return w.finish();
  };
  assert.throws(() => decodeMessage(raw(MessageType.MethodCall, [[1, 'o', '/']])), DBusProtocolError, 'call without member');
  assert.throws(() => decodeMessage(raw(MessageType.Signal, [[1, 'o', '/'], [3, 's', 'M']])), DBusProtocolError, 'signal without interface');
  assert.throws(() => decodeMessage(raw(MessageType.Error, [[5, 'u', 1]])), DBusProtocolError, 'error without name');
  assert.throws(() => decodeMessage(raw(MessageType.MethodReturn, [])), DBusProtocolError, 'return without reply serial');
  assert.throws(() => decodeMessage(raw(MessageType.MethodReturn, [[5, 's', 'x']])), DBusProtocolError, 'reply serial of the wrong type');
  assert.throws(() => decodeMessage(raw(MessageType.MethodReturn, [[5, 'u', 1]], 0)), DBusProtocolError, 'serial 0');
  const m = decodeMessage(raw(MessageType.MethodReturn, [[5, 'u', 1], [200, 's', 'future field']]));
  assert.equal(m.replySerial, 1);
  const bad = Buffer.from(raw(MessageType.MethodReturn, [[5, 'u', 1]]));
  bad[0] = 0x41;
  assert.throws(() => messageLength(bad), DBusProtocolError, 'endianness marker');
  bad[0] = 0x6c;
  bad[3] = 2;
  assert.throws(() => messageLength(bad), DBusProtocolError, 'protocol version');
  const huge = Buffer.from(raw(MessageType.MethodReturn, [[5, 'u', 1]]));
  huge.writeUInt32LE(0x7fffffff, 4);
  assert.throws(() => messageLength(huge), DBusProtocolError, 'over 128 MiB');
});

test('bus addresses: path, abstract, lists, escapes; system bus from the environment', () => {
  assert.equal(parseAddress('unix:path=/run/dbus/system_bus_socket').socketPath, '/run/dbus/system_bus_socket');
  assert.equal(parseAddress('unix:path=/tmp/a%20b,guid=00').socketPath, '/tmp/a b');
  assert.equal(parseAddress('unix:abstract=/tmp/dbus-x').socketPath, '\0/tmp/dbus-x');
  assert.equal(parseAddress('tcp:host=localhost,port=1;unix:path=/x').socketPath, '/x');
  assert.throws(() => parseAddress('tcp:host=localhost,port=1'), DBusConnectionError);
  assert.throws(() => parseAddress(''), DBusConnectionError);
  assert.throws(() => parseAddress('unix:path=%zz'), DBusConnectionError);
  assert.equal(systemBusAddress({}), DEFAULT_SYSTEM_BUS_ADDRESS);
  assert.equal(systemBusAddress({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }), 'unix:path=/x');
});

test('match rules: quoting and local filtering', () => {
  assert.equal(
    matchRuleString({ sender: 'org.freedesktop.systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', path: '/org/freedesktop/systemd1' }),
    "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',member='JobRemoved',path='/org/freedesktop/systemd1'",
  );
  assert.equal(matchRuleString({ arg0: "it's" }), "type='signal',arg0='it'\\''s'");
  const sig: Message = { type: MessageType.Signal, flags: 0, serial: 1, sender: ':1.1', path: '/p', interface: 'i.f', member: 'M', signature: 's', body: ['a'] };
  assert.ok(ruleMatches({ interface: 'i.f', member: 'M', path: '/p', arg0: 'a' }, sig));
  assert.ok(ruleMatches({ sender: 'org.freedesktop.systemd1' }, sig), 'well-known sender names are left to the bus');
  assert.ok(!ruleMatches({ sender: ':1.2' }, sig));
  assert.ok(!ruleMatches({ member: 'N' }, sig));
  assert.ok(!ruleMatches({ arg0: 'b' }, sig));
});

test('EXTERNAL auth sends the uid as hex of its decimal digits', () => {
  assert.equal(externalAuthLine(0), 'AUTH EXTERNAL 30\r\n');
  assert.equal(externalAuthLine(1000), 'AUTH EXTERNAL 31303030\r\n');
});
