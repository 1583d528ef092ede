import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fstatSync } from 'node:fs';
import { relayedFds } from '../../src/cli/stdio-relay.js';
import { stdioPlanFor } from '../../src/runtime/exec.js';

test('relayedFds: every terminal among 0, 1, 2 goes through a pipe; stdin only with -i', () => {
  const cases: Array<[boolean, [boolean, boolean, boolean], [boolean, boolean, boolean]]> = [
    // -i, which fds are terminals → which are relayed
    [false, [false, false, false], [false, false, false]], // a script: nothing to do
    [true, [false, false, false], [false, false, false]], // `echo hi | exec -i … | cat`
    [false, [true, true, true], [false, true, true]], // an admin's shell: stdin is /dev/null anyway
    [true, [true, true, true], [true, true, true]],
    [true, [true, false, false], [true, false, false]], // `exec -i … > file`
    [false, [false, true, false], [false, true, false]], // `exec … 2>log`
    [true, [false, false, true], [false, false, true]], // `… < file | less`: stderr still the terminal
  ];
  for (const [interactive, tty, want] of cases) {
    const got = relayedFds(interactive, (fd) => tty[fd]);
    assert.deepEqual([got.stdin, got.stdout, got.stderr], want, `-i=${interactive} terminals=${tty.join(',')}`);
  }
});

test('stdioPlanFor: the relay\'s ends replace the caller\'s fds; without -i stdin stays /dev/null', () => {
  let forked = 0;
  const relay = { stdin: 40, stdout: 41, forked: () => { forked++; } };

  const interactive = stdioPlanFor({ interactive: true, relay });
  assert.deepEqual(interactive.plan, { kind: 'fds', stdin: 40, stdout: 41, stderr: 2 });
  interactive.forked();
  interactive.forked();
  assert.equal(forked, 1, 'our copies of the container\'s ends are closed once');

  const plain = stdioPlanFor({ interactive: false, relay: { stdout: 41, stderr: 42, forked: () => {} } });
  assert.equal(plain.plan.kind, 'fds');
  if (plain.plan.kind !== 'fds') return;
  assert.equal(plain.plan.stdout, 41);
  assert.equal(plain.plan.stderr, 42);
  assert.ok(fstatSync(plain.plan.stdin).isCharacterDevice(), 'stdin is /dev/null');
  const devnull = plain.plan.stdin;
  plain.forked();
  assert.throws(() => fstatSync(devnull), /EBADF/, '/dev/null closed once the stage has it');

  // no terminal anywhere: as before, the caller's own fds
  assert.deepEqual(stdioPlanFor({ interactive: true }).plan, { kind: 'inherit' });
  const none = stdioPlanFor({ interactive: false });
  assert.equal(none.plan.kind === 'fds' && none.plan.stdout, 1);
  none.forked();
});
