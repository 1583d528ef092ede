/**
 * The wire format without a bus: known byte layouts (alignment is where
 * hand-written marshallers go wrong), encode->decode round trips, and
 * garbage input, which must only ever raise DBusProtocolError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marshal } from '../../src/systemd/dbus/marshal.js';
import { unmarshal } from '../../src/systemd/dbus/unmarshal.js';
import { parseSignature, type SigType } from '../../src/systemd/dbus/signature.js';
import { DBusProtocolError } from '../../src/systemd/dbus/errors.js';
import { encodeMessage, decodeMessage, messageLength, MessageType } from '../../src/systemd/dbus/message.js';
import type { DBusKey, DBusValue } from '../../src/systemd/dbus/values.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('known layouts: padding before aligned types, arrays, dict entries, variants', () => {
  const cases: [string, DBusValue[], string][] = [
    ['y', [1], '01'],
    ['yu', [1, 2], '01000000' + '02000000'],
    ['yq', [1, 0x0203], '01' + '00' + '0302'],
    ['yt', [1, 2n], '01' + '00'.repeat(7) + '0200000000000000'],
    ['yx', [1, -1n], '01' + '00'.repeat(7) + 'ff'.repeat(8)],
    ['b', [true], '01000000'],
    ['s', ['ab'], '02000000' + '616200'],
    ['g', ['a(sv)'], '05' + Buffer.from('a(sv)').toString('hex') + '00'],
    ['o', ['/a/b'], '04000000' + Buffer.from('/a/b').toString('hex') + '00'],
    // 'a' (len 1) then 'bc': padding between elements counts in the array length
    ['as', [['a', 'bc']], '0f000000' + '01000000' + '6100' + '0000' + '02000000' + '626300'],
    // an empty array of 8-aligned elements still pads to 8; the length excludes it
    ['at', [[]], '00000000' + '00000000'],
    ['yat', [7, [5n]], '07000000' + '08000000' + '0500000000000000'],
    ['ay', [new Uint8Array([1, 2, 3])], '03000000' + '010203'],
    ['ai', [[-1, 2]], '08000000' + 'ffffffff' + '02000000'],
    // a{sv} {'a': <uint32 1>}: entry at 8, signature 'u', pad to 4
    ['a{sv}', [new Map<DBusKey, DBusValue>([['a', { signature: 'u', value: 1 }]])], '10000000' + '00000000' + '01000000' + '6100' + '017500' + '000000' + '01000000'],
    // variant holding a struct: the struct aligns to 8 after the signature
    ['yv', [1, { signature: '(yt)', value: [2, 3n] }], '01' + '04' + Buffer.from('(yt)').toString('hex') + '00' + '00' + '02' + '00'.repeat(7) + '0300000000000000'],
    ['(ss)', [['a', 'b']], '01000000' + '6100' + '0000' + '01000000' + '6200'],
  ];
  for (const [sig, values, want] of cases) {
    const bytes = marshal(sig, values);
    assert.equal(hex(bytes), want, `encode ${sig}`);
    assert.deepEqual(unmarshal(sig, bytes), values, `decode ${sig}`);
  }
});

test('the StartTransientUnit argument shapes round-trip', () => {
  const props: DBusValue = [
    ['Slice', { signature: 's', value: 'machine.slice' }],
    ['PIDs', { signature: 'au', value: [1234, 5678] }],
    ['Delegate', { signature: 'b', value: true }],
    ['MemoryMax', { signature: 't', value: (1n << 64n) - 1n }],
    ['AllowedCPUs', { signature: 'ay', value: new Uint8Array([0x03, 0x80]) }],
    ['DeviceAllow', { signature: 'a(ss)', value: [['/dev/null', 'rw'], ['char-pts', 'rw']] }],
    ['Nested', { signature: 'v', value: { signature: 'a{sv}', value: new Map<DBusKey, DBusValue>([['k', { signature: 'x', value: -(1n << 63n) }]]) } }],
  ];
  const aux: DBusValue = [['other.scope', [['Description', { signature: 's', value: 'x' }]]]];
  const body: DBusValue[] = ['tsmachine-web.scope', 'fail', props, aux];
  const sig = 'ssa(sv)a(sa(sv))';
  assert.deepEqual(unmarshal(sig, marshal(sig, body)), body);
});

test('big-endian data decodes (the sender picks the byte order)', () => {
  assert.deepEqual(unmarshal('yu', new Uint8Array([9, 0, 0, 0, 1, 2, 3, 4]), false), [9, 0x01020304]);
  assert.deepEqual(unmarshal('t', new Uint8Array([0, 0, 0, 0, 0, 0, 1, 0]), false), [256n]);
  assert.deepEqual(unmarshal('as', new Uint8Array([0, 0, 0, 6, 0, 0, 0, 1, 0x61, 0]), false), [['a']]);
});

test('64-bit extremes and doubles are exact', () => {
  const values: DBusValue[] = [(1n << 64n) - 1n, -(1n << 63n), (1n << 63n) - 1n, -0, Number.MAX_VALUE, 5e-324, NaN, -Infinity];
  assert.deepEqual(unmarshal('txxddddd', marshal('txxddddd', values)), values);
  // numbers are accepted for 64-bit types when exact; decoding always gives bigint
  assert.deepEqual(unmarshal('t', marshal('t', [42])), [42n]);
});

test('large arrays round-trip', () => {
  const many = Array.from({ length: 100_000 }, (_, i) => i * 7);
  const bytes = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  const structs = Array.from({ length: 5000 }, (_, i) => [`name-${i}`, { signature: 'u', value: i }] as DBusValue);
  const out = unmarshal('aua(sv)ay', marshal('aua(sv)ay', [many, structs, bytes]));
  assert.deepEqual(out[0], many);
  assert.deepEqual(out[1], structs);
  assert.deepEqual(out[2], bytes);
});

test('invalid signatures and values are refused with DBusProtocolError', () => {
  const bad: [string, DBusValue[]][] = [
    ['y', [256]], ['y', [-1]], ['n', [40000]], ['q', [-1]], ['i', [1.5]], ['u', [-1]], ['u', [2 ** 32]],
    ['t', [-1n]], ['t', [1n << 64n]], ['x', [1n << 63n]], ['t', [2 ** 60]], ['b', [1]], ['d', ['1']],
    ['s', ['a\0b']], ['s', [1]], ['o', ['relative']], ['o', ['/trailing/']], ['o', ['/a//b']], ['g', ['a']], ['g', ['(']],
    ['v', ['not a variant']], ['v', [{ signature: 'uu', value: 1 }]], ['v', [{ signature: 'u', value: 'x' }]],
    ['(ss)', [['only one']]], ['as', ['not an array']], ['a{sv}', [[['k']]]],
    ['a', [[]]], ['(', [[]]], ['()', [[]]], ['a{vs}', [new Map()]], ['{ss}', [[]]], ['z', [1]], ['a{s}', [new Map()]],
    ['uu', [1]],
  ];
  for (const [sig, values] of bad) {
    assert.throws(() => marshal(sig, values), DBusProtocolError, `${sig} ${String(values[0])}`);
  }
  assert.throws(() => parseSignature('a'.repeat(33) + 'y'), DBusProtocolError, 'array depth');
  assert.throws(() => parseSignature('('.repeat(33) + 'y' + ')'.repeat(33)), DBusProtocolError, 'struct depth');
  assert.throws(() => parseSignature('y'.repeat(256)), DBusProtocolError, 'length');
});

test('malformed data is refused with DBusProtocolError', () => {
  const bad: [string, number[]][] = [
    ['b', [2, 0, 0, 0]],
    ['yu', [1, 9, 0, 0, 1, 0, 0, 0]], // non-zero padding
    ['u', [1, 0, 0]], // truncated
    ['s', [2, 0, 0, 0, 0x61, 0x62, 0x63]], // no NUL terminator
    ['s', [2, 0, 0, 0, 0xc3, 0x28, 0]], // invalid UTF-8
    ['s', [3, 0, 0, 0, 0x61, 0, 0x62, 0]], // embedded NUL
    ['o', [1, 0, 0, 0, 0x61, 0]], // not a path
    ['g', [1, 0x7a, 0]], // bad signature
    ['au', [8, 0, 0, 0, 1, 0, 0, 0]], // array past the end
    ['au', [6, 0, 0, 0, 1, 0, 0, 0, 2, 0]], // elements overrun the length
    ['au', [0, 0, 0, 5]], // over the array limit
    ['y', [1, 2]], // trailing bytes
    ['v', [2, 0x75, 0x75, 0]], // variant with two types
  ];
  for (const [sig, bytes] of bad) {
    assert.throws(() => unmarshal(sig, new Uint8Array(bytes)), DBusProtocolError, `${sig} ${bytes.join(',')}`);
  }
});

// ---------------------------------------------------------------------------
// Fuzz-ish: a seeded generator so a failure is reproducible from its seed.

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const BASICS = 'ybnqiuxtdsogh';

function randomSig(r: () => number, depth: number): string {
  const x = r();
  if (depth > 3 || x < 0.55) return BASICS[Math.floor(r() * BASICS.length)]!;
  if (x < 0.7) return 'v';
  if (x < 0.82) return 'a' + randomSig(r, depth + 1);
  if (x < 0.9) return `a{${BASICS[Math.floor(r() * BASICS.length)]}${randomSig(r, depth + 1)}}`;
  const n = 1 + Math.floor(r() * 3);
  return '(' + Array.from({ length: n }, () => randomSig(r, depth + 1)).join('') + ')';
}

function randomValue(r: () => number, t: SigType, depth: number): DBusValue {
  const int = (min: number, max: number): number => min + Math.floor(r() * (max - min + 1));
  const big = (bits: number, signed: boolean): bigint => {
    let v = 0n;
    for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(int(0, 0xffff));
    v &= (1n << BigInt(bits)) - 1n;
    return signed && v >= 1n << BigInt(bits - 1) ? v - (1n << BigInt(bits)) : v;
  };
  switch (t.kind) {
    case 'basic':
      switch (t.code) {
        case 'y': return int(0, 255);
        case 'b': return r() < 0.5;
        case 'n': return int(-0x8000, 0x7fff);
        case 'q': return int(0, 0xffff);
        case 'i': return int(-0x80000000, 0x7fffffff);
        case 'u': case 'h': return int(0, 0xffffffff);
        case 'x': return big(64, true);
        case 't': return big(64, false);
        case 'd': return (r() - 0.5) * 10 ** int(-300, 300);
        case 's': {
          const pool = ['a', 'Z', ' ', 'é', '€', '𝄞', "'", '\\', '\n', 'ñ'];
          return Array.from({ length: int(0, 12) }, () => pool[int(0, pool.length - 1)]).join('');
        }
        case 'o': return r() < 0.2 ? '/' : Array.from({ length: int(1, 3) }, () => '/' + ['a', 'unit', 'x_1', 'A9'][int(0, 3)]).join('');
        case 'g': return ['', 'y', 'a(sv)', 'a{sv}', '(ii)', 'v'][int(0, 5)]!;
      }
      break;
    case 'variant': {
      const sig = randomSig(r, depth + 1);
      return { signature: sig, value: randomValue(r, parseSignature(sig)[0]!, depth + 1) };
    }
    case 'array': {
      const n = depth > 4 ? 0 : int(0, 4);
      if (t.elem.kind === 'basic' && t.elem.code === 'y') return new Uint8Array(Array.from({ length: n }, () => int(0, 255)));
      return Array.from({ length: n }, () => randomValue(r, t.elem, depth + 1));
    }
    case 'dict': {
      const m = new Map<DBusKey, DBusValue>();
      const n = depth > 4 ? 0 : int(0, 3);
      for (let i = 0; i < n; i++) m.set(randomValue(r, t.key, depth + 1) as DBusKey, randomValue(r, t.value, depth + 1));
      return m;
    }
    case 'struct':
      return t.fields.map((f) => randomValue(r, f, depth + 1));
  }
  throw new Error('unreachable');
}

test('random values round-trip (1000 seeded cases)', () => {
  for (let seed = 1; seed <= 1000; seed++) {
    const r = rng(seed);
    const sig = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomSig(r, 0)).join('');
    const values = parseSignature(sig).map((t) => randomValue(r, t, 0));
    let back: DBusValue[];
    try {
      back = unmarshal(sig, marshal(sig, values));
    } catch (err) {
      assert.fail(`seed ${seed} sig ${sig}: ${String(err)}`);
    }
    assert.deepEqual(back, values, `seed ${seed} sig ${sig}`);
  }
});

function onlyProtocolErrors(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DBusProtocolError)) assert.fail(`${what}: threw ${(err as Error)?.name}: ${String(err)}`);
  }
}

test('garbage and mutated data only ever raise DBusProtocolError (3000 seeded cases)', () => {
  for (let seed = 1; seed <= 1000; seed++) {
    const r = rng(seed * 7919);
    const sig = randomSig(r, 0) + randomSig(r, 0);
    // pure garbage
    const junk = new Uint8Array(Math.floor(r() * 64)).map(() => Math.floor(r() * 256));
    onlyProtocolErrors(`seed ${seed} junk as ${sig}`, () => unmarshal(sig, junk));
    // a valid encoding with a few bytes flipped, or cut short
    const good = new Uint8Array(marshal(sig, parseSignature(sig).map((t) => randomValue(r, t, 0))));
    const mutated = good.slice();
    for (let i = 0; i < 3 && mutated.length; i++) mutated[Math.floor(r() * mutated.length)] = Math.floor(r() * 256);
    onlyProtocolErrors(`seed ${seed} mutated ${sig}`, () => unmarshal(sig, mutated));
    onlyProtocolErrors(`seed ${seed} truncated ${sig}`, () => unmarshal(sig, good.subarray(0, Math.floor(r() * good.length))));
  }
});

test('mutated whole messages only ever raise DBusProtocolError', () => {
  const msg = encodeMessage({
    type: MessageType.MethodCall, flags: 0, serial: 7, destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1',
    interface: 'org.freedesktop.systemd1.Manager', member: 'StartTransientUnit', signature: 'ssa(sv)',
    body: ['x.scope', 'fail', [['PIDs', { signature: 'au', value: [1, 2] }]]],
  });
  for (let seed = 1; seed <= 2000; seed++) {
    const r = rng(seed);
    const m = new Uint8Array(msg);
    for (let i = 0; i < 1 + Math.floor(r() * 4); i++) m[Math.floor(r() * m.length)] = Math.floor(r() * 256);
    onlyProtocolErrors(`seed ${seed}`, () => {
      const len = messageLength(m);
      if (len === m.length) decodeMessage(m);
    });
  }
});
