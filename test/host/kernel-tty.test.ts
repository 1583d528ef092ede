import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execInContainer, kill, openPtyMaster, spawnContainer, waitExit, type PtyMaster } from '../../src/kernel/index.js';
import type { ParkedContainer, SpawnRequest } from '../../src/kernel/types.js';
import { ensureNative, type Fixture, makeFixture, skipReason } from './kernel-fixture.js';

/** Applets the pty tests need beyond the shared fixture's. */
const EXTRA = ['tty', 'stty', 'cut'];

/** The payload's terminal as the test sees it: output so far, and a way to type. */
interface Session { master: PtyMaster; output(): string; ended: Promise<void> }

function session(fd: number): Session {
  const master = openPtyMaster(fd);
  let out = '';
  master.onData((d) => { out += d.toString(); });
  return { master, output: () => out, ended: new Promise((r) => master.onEnd(r)) };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** The pty turns \n into \r\n (ONLCR) like any terminal. */
const lines = (s: string): string[] => s.split('\r\n').filter((l) => l !== '');

describe('pty (-t)', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  before(() => {
    ensureNative();
    f = makeFixture();
    for (const a of EXTRA) symlinkSync('busybox', join(f.lower, 'bin', a));
  });
  after(() => f.cleanup());

  /** Starts a container whose stdio is a new pty of `rows`x`cols`; returns its terminal and exit status. */
  function runPty(over: Partial<SpawnRequest>, rows = 33, cols = 77): { s: Session; c: ParkedContainer; status: Promise<number> } {
    let s: Session | undefined;
    const c = spawnContainer(f.request({ ...over, stdio: { kind: 'pty', rows, cols, onMaster: (fd) => { s = session(fd); } } }));
    const status = waitExit(c.monitorPid);
    c.release();
    assert.ok(s, 'release handed over the master');
    return { s, c, status };
  }

  test('the payload runs on /dev/pts/N of the container, as its controlling terminal, with the size given', async () => {
    // /dev/tty opens only for a process that has a controlling terminal.
    // /dev/console is that terminal too: same device numbers, and a write to it reaches the master.
    const script = 'tty; stty size; stty size </dev/tty; readlink /proc/self/fd/1; readlink /proc/self/fd/2; ' +
      '[ "$(stat -c %t:%T /dev/console)" = "$(stat -c %t:%T $(tty))" ] && echo console=tty; echo via-console >/dev/console; exit 5';
    const { s, status } = runPty({ argv: ['sh', '-c', script] });
    assert.equal(await status, 5, 'the exit status passes through');
    await s.ended;
    const out = lines(s.output());
    assert.match(out[0] ?? '', /^\/dev\/pts\/\d+$/, s.output());
    assert.deepEqual(out.slice(1), ['33 77', '33 77', out[0], out[0], 'console=tty', 'via-console'], s.output());
  });

  test('typed input reaches the payload, ^C becomes SIGINT, resize becomes SIGWINCH', async () => {
    const script = [
      'read line; echo got=$line',
      "trap 'echo winch=$(stty size)' WINCH",
      'trap "echo int; exit 130" INT',
      'echo ready; while :; do sleep 0.05; done',
    ].join('\n');
    const { s, status } = runPty({ argv: ['sh', '-c', script] });
    s.master.write('hello\n');
    await until(`ready in ${JSON.stringify(s.output())}`, () => s.output().includes('ready'));
    assert.ok(lines(s.output()).includes('got=hello'), s.output());
    s.master.resize(50, 120);
    await until(`winch in ${JSON.stringify(s.output())}`, () => s.output().includes('winch='));
    assert.ok(lines(s.output()).includes('winch=50 120'), s.output());
    s.master.write('\x03'); // what a raw local terminal passes on for ^C
    assert.equal(await status, 130);
    await s.ended;
    assert.match(s.output(), /^(\^C)?int$/m, 'the trap ran (after the echoed ^C)');
  });

  test('closing the master hangs up the payload', async () => {
    const { s, status } = runPty({ argv: ['sh', '-c', 'trap "exit 129" HUP; while :; do sleep 0.05; done'] });
    await new Promise((r) => setTimeout(r, 200));
    s.master.close();
    assert.equal(await status, 129);
  });

  test('exec -t gets a pty of the same devpts instance; exec without -i reads EOF', async () => {
    const devnull = openSync('/dev/null', 'r');
    let s: Session | undefined;
    const { c, status, s: first } = runPty({ argv: ['sh', '-c', 'tty; sleep 1000'] });
    try {
      await until('the container tty', () => first.output().includes('\r\n'));
      const e = execInContainer({
        leaderPid: c.initPid, argv: ['sh', '-c', 'tty; stat -c %d /dev/pts/ptmx; stty size'], env: ['PATH=/bin'], cwd: '/',
        stdio: { kind: 'pty', rows: 10, cols: 20, onMaster: (fd) => { s = session(fd); } },
      });
      e.release();
      assert.equal(await e.wait(), 0);
      assert.ok(s);
      await s.ended;
      const [tty, dev, size] = lines(s.output());
      assert.match(tty ?? '', /^\/dev\/pts\/\d+$/);
      assert.notEqual(tty, lines(first.output())[0], 'a pty of its own');
      assert.notEqual(Number(dev), statSync('/dev/pts/ptmx').dev, "the container's devpts, not the host's");
      assert.equal(size, '10 20');

      // stdin /dev/null (exec without -i): cat ends at once instead of waiting for the caller's input.
      const n = execInContainer({ leaderPid: c.initPid, argv: ['cat'], env: ['PATH=/bin'], cwd: '/', stdio: { kind: 'fds', stdin: devnull, stdout: 1, stderr: 2 } });
      n.release();
      assert.equal(await n.wait(), 0);
    } finally {
      closeSync(devnull);
      kill(c.initPid, 9);
      await status;
      first.master.close();
    }
  });
});
