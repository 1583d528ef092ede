import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiBytes, concatBytes, isAsciiNoNul, latin1Text, plainBytes } from '../../src/systemd/dbus/bytes.js';
import { parseAuthReply, authRequest } from '../../src/systemd/dbus/auth.js';
import { marshal, Writer } from '../../src/systemd/dbus/marshal.js';
import { unmarshal } from '../../src/systemd/dbus/unmarshal.js';

test('byte helpers: concat, ASCII in and out, plain views', () => {
  assert.deepEqual(concatBytes([new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3])]), new Uint8Array([1, 2, 3]));
  assert.deepEqual(asciiBytes('AB\0'), new Uint8Array([0x41, 0x42, 0]));
  assert.equal(asciiBytes('é'), null, 'not ASCII: the caller encodes UTF-8 instead');
  const long = 'x'.repeat(10_000) + 'y';
  assert.equal(latin1Text(asciiBytes(long)!), long, 'longer than one fromCharCode slice');
  assert.equal(isAsciiNoNul(asciiBytes('/org/freedesktop/systemd1')!), true);
  assert.equal(isAsciiNoNul(new Uint8Array([0x61, 0])), false);
  assert.equal(isAsciiNoNul(new Uint8Array([0xc3, 0xa9])), false);
  const buf = Buffer.from([9, 8, 7]);
  const plain = plainBytes(buf.subarray(1));
  assert.equal(Object.getPrototypeOf(plain), Uint8Array.prototype);
  assert.deepEqual([...plain], [8, 7]);
  plain[0] = 1;
  assert.equal(buf[1], 1, 'a view, not a copy');
});

test('SASL: the request, and the reply split anywhere', () => {
  assert.equal(latin1Text(authRequest(0)), '\0AUTH EXTERNAL 30\r\nBEGIN\r\n');
  const reply = asciiBytes('OK 1234deadbeef\r\nl\x01')!;
  assert.deepEqual(parseAuthReply(reply.subarray(0, 16)), { kind: 'more' }, 'the \\r without its \\n');
  const ok = parseAuthReply(reply);
  assert.equal(ok.kind, 'ok');
  if (ok.kind === 'ok') {
    assert.equal(ok.guid, '1234deadbeef');
    assert.deepEqual([...ok.rest], [0x6c, 1], 'the message stream that followed');
  }
  assert.match((parseAuthReply(asciiBytes('REJECTED EXTERNAL\r\n')!) as { reason: string }).reason, /server offers: EXTERNAL/);
});

test('strings: ASCII and UTF-8 decode alike; a grown buffer keeps what was written', () => {
  const values = ['plain', 'grüße ✓', ''];
  assert.deepEqual(unmarshal('sss', marshal('sss', values)), values);
  const w = new Writer(4); // grows several times, also inside an aligned write
  const out = marshal('ytts', [1, 2n ** 40n, 3n, 'x'.repeat(100)], w);
  assert.deepEqual(unmarshal('ytts', out), [1, 2n ** 40n, 3n, 'x'.repeat(100)]);
});
