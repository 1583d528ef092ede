import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelError } from '../../src/kernel/errors.js';
import { encodeSeccomp, seccompFilterFlags, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS } from '../../src/kernel/seccomp-compile.js';
import type { SeccompProfilePlan } from '../../src/kernel/oci-types.js';

/** The records src/kernel/seccomp-compile.ts hands native/src/seccomp-compile.c (no binding loaded here). */

const records = (p: SeccompProfilePlan): string[] => encodeSeccomp(p).toString('utf8').split('\0').slice(0, -1);

test('records: header first, then one group per rule in profile order, names and args repeated in order', () => {
  assert.deepEqual(records({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], flags: [],
    rules: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [] },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [
        { index: 0, op: 'SCMP_CMP_EQ', value: 0xffffffffn, valueTwo: 0n },
        { index: 0, op: 'SCMP_CMP_MASKED_EQ', value: (1n << 64n) - 1n, valueTwo: 8n },
      ] },
    ],
  }), [
    'default=SCMP_ACT_ERRNO', 'default_errno=38', 'arch=SCMP_ARCH_X86_64', 'arch=SCMP_ARCH_X86',
    'r_action=SCMP_ACT_ALLOW', 'r_name=read', 'r_name=write',
    'r_action=SCMP_ACT_ERRNO', 'r_errno=1', 'r_name=personality',
    'r_arg=0 SCMP_CMP_EQ 4294967295 0', 'r_arg=0 SCMP_CMP_MASKED_EQ 18446744073709551615 8',
  ]);
});

test('records: no errno record unless the profile gives one (the native side defaults to EPERM)', () => {
  assert.deepEqual(records({ defaultAction: 'SCMP_ACT_ERRNO', architectures: [], flags: [], rules: [{ names: ['x'], action: 'SCMP_ACT_TRACE', args: [] }] }),
    ['default=SCMP_ACT_ERRNO', 'r_action=SCMP_ACT_TRACE', 'r_name=x']);
});

const base: SeccompProfilePlan = { defaultAction: 'SCMP_ACT_ALLOW', architectures: [], flags: [], rules: [] };

test('refused while encoding, with the rule named', () => {
  const cases: [Partial<SeccompProfilePlan>, RegExp][] = [
    [{ defaultAction: 'SCMP_ACT_NOTIFY' as never }, /unknown seccomp action on defaultAction/],
    [{ defaultErrnoRet: 1 }, /errnoRet with SCMP_ACT_ALLOW on defaultErrnoRet/],
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 65536 }, /errnoRet is not 0\.\.65535/],
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1.5 }, /errnoRet is not 0\.\.65535/],
    [{ architectures: ['SCMP_ARCH_X86\0'] }, /seccomp architecture/],
    [{ rules: [{ names: [''], action: 'SCMP_ACT_ERRNO', args: [] }] }, /syscall name/],
    [{ rules: [{ names: ['a=b\nc'], action: 'SCMP_ACT_ERRNO', args: [] }] }, /syscall name/],
    [{ rules: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: -1, op: 'SCMP_CMP_EQ', value: 0n, valueTwo: 0n }] }] }, /argument index is not 0\.\.5 on syscalls\[0\]/],
    [{ rules: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_EQ', value: -1n, valueTwo: 0n }] }] }, /not a u64/],
    [{ rules: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 1 as never, valueTwo: 0n }] }] }, /not a u64/],
    [{ rules: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_IN' as never, value: 0n, valueTwo: 0n }] }] }, /unknown seccomp operator/],
  ];
  for (const [more, re] of cases) {
    assert.throws(() => encodeSeccomp({ ...base, ...more }), (e: unknown) => {
      assert.ok(e instanceof KernelError, String(e));
      assert.equal(e.syscall, 'validate');
      assert.equal(e.errnoName, 'EINVAL');
      assert.match(e.message, re);
      return true;
    }, JSON.stringify(more, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
});

test('flags: seccomp(2) bits; TSYNC is 0 (one thread loads the filter); the rest is refused', () => {
  assert.equal(seccompFilterFlags([]), 0);
  assert.equal(seccompFilterFlags(['SECCOMP_FILTER_FLAG_TSYNC']), 0);
  assert.equal(seccompFilterFlags(['SECCOMP_FILTER_FLAG_LOG']), 2);
  assert.equal(seccompFilterFlags(['SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_LOG']), 6);
  for (const f of ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_NEW_LISTENER', 'toString', '__proto__'])
    assert.throws(() => seccompFilterFlags([f]), /unsupported seccomp flag/, f);
});

test('the lists for `features`: every action of the contract but NOTIFY, all seven operators, the spec arches', () => {
  assert.equal(SECCOMP_ACTIONS.length, 8);
  assert.ok(!SECCOMP_ACTIONS.includes('SCMP_ACT_NOTIFY' as never));
  assert.equal(SECCOMP_OPERATORS.length, 7);
  assert.ok(SECCOMP_ARCHES.includes('SCMP_ARCH_X86_64') && SECCOMP_ARCHES.includes('SCMP_ARCH_AARCH64'));
  assert.equal(new Set(SECCOMP_ARCHES).size, SECCOMP_ARCHES.length);
});
