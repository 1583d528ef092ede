import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlaps, parsePrivateUsers, parseSubIds, pickRange, PICK_END, PICK_FIRST, PICK_SIZE } from '../../src/config/userns.js';
import { SpecError, validateSpec } from '../../src/config/spec.js';

const env = { onlineCpus: [0, 1], exists: () => true, deviceKind: () => null };

test('--private-users: no, pick (and nspawn booleans), BASE[:SIZE]', () => {
  for (const t of ['no', 'false', 'off', '0']) assert.deepEqual(parsePrivateUsers(t), { ok: true, value: { mode: 'no' } }, t);
  for (const t of ['pick', 'yes', 'true', 'PICK']) assert.deepEqual(parsePrivateUsers(t), { ok: true, value: { mode: 'pick' } }, t);
  assert.deepEqual(parsePrivateUsers('524288'), { ok: true, value: { mode: 'fixed', base: 524288, size: 65536 } });
  assert.deepEqual(parsePrivateUsers('100000:1000'), { ok: true, value: { mode: 'fixed', base: 100000, size: 1000 } });
});

test('bad ranges name the problem', () => {
  const reason = (t: string): string => { const r = parsePrivateUsers(t); assert.equal(r.ok, false, t); return r.ok ? '' : r.reason; };
  assert.match(reason('lots'), /is not 'pick', 'no' or BASE\[:SIZE\]/);
  assert.match(reason('1000'), /starts below 65536/, 'the host\'s own users');
  assert.match(reason('100000:0'), /maps no ids/);
  assert.match(reason('2147000000:1000000'), /ends above 2147483647/);
  assert.throws(() => validateSpec('web', { privateUsers: 'x' }, env), (e: unknown) => e instanceof SpecError && e.message === "--private-users 'x' is not 'pick', 'no' or BASE[:SIZE]");
  assert.deepEqual(validateSpec('web', {}, env).privateUsers, { mode: 'no' });
});

test('pick: a 64K slot inside nspawn\'s range, stable per name, skipping taken and overlapping ranges', () => {
  const a = pickRange('web', [])!;
  assert.equal(a.size, PICK_SIZE);
  assert.ok(a.base >= PICK_FIRST && a.base + a.size <= PICK_END);
  assert.equal((a.base - PICK_FIRST) % PICK_SIZE, 0);
  assert.deepEqual(pickRange('web', []), a, 'the same name gets the same slot');
  assert.notDeepEqual(pickRange('db', []), a, 'another name starts elsewhere');
  // taken: the slot itself, then an odd range overlapping the next one
  const next = pickRange('web', [a, { base: a.base + PICK_SIZE + 5, size: 10 }])!;
  assert.ok(!overlaps(next, a) && !overlaps(next, { base: a.base + PICK_SIZE + 5, size: 10 }));
  const slots = (PICK_END - PICK_FIRST) / PICK_SIZE;
  assert.equal(pickRange('web', [{ base: PICK_FIRST, size: slots * PICK_SIZE }]), null, 'all taken');
});

test('overlaps and /etc/subuid', () => {
  assert.ok(overlaps({ base: 10, size: 5 }, { base: 14, size: 1 }));
  assert.ok(!overlaps({ base: 10, size: 5 }, { base: 15, size: 1 }));
  assert.deepEqual(parseSubIds('alice:100000:65536\n# c\nbad\nbob:165536:65536\n'), [{ base: 100000, size: 65536 }, { base: 165536, size: 65536 }]);
});
