import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { ensureNative, skipReason } from './kernel-fixture.js';
import { GUARDED, readAsPeer, startParkedHelper } from './kernel-parked-probe.js';

/**
 * Until their execve the init and exec stages are copies of Node (its memory,
 * its fds, /proc/PID/exe = the host's node binary) and, parked, they sit in
 * the container's PID namespace. Not dumpable, their /proc files need
 * CAP_SYS_PTRACE over the host (runc's nsexec, CVE-2016-9962 and
 * CVE-2019-5736). The reader here has every capability of the stages'
 * creator except that one: it is refused for the dumpable flag alone, and
 * reads the payload once it has exec'd.
 */
const skip = skipReason() ?? (existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv') ? false : 'needs setpriv (util-linux)');

describe('parked stages are not dumpable (PR_SET_DUMPABLE)', { skip }, () => {
  test('init and exec parked, and the exec stage: /proc/PID/mem, exe, cwd, fd refused; the exec\'d payload\'s allowed', async () => {
    ensureNative();
    const h = await startParkedHelper();
    try {
      const { parkedInit, parkedExec, execStage } = h.parked;
      assert.ok(parkedInit > 1 && parkedExec > 1 && execStage > 1, JSON.stringify(h.parked));
      for (const [what, pid] of [['parked init', parkedInit], ['parked exec payload', parkedExec], ['exec stage', execStage]] as const) {
        // the exec stage holds no fds at all once the payload is forked (below)
        for (const file of GUARDED.filter((g) => pid !== execStage || g !== 'fd/0')) {
          const r = readAsPeer(pid, file);
          assert.equal(r.ok, false, `${what} (${pid}): /proc/PID/${file} must be refused`);
          assert.match(r.err, /Permission denied|Operation not permitted/, `${what}: ${file}: ${r.err}`);
        }
      }
      // The exec stage only waits for the payload: Node's fds (the CLI's
      // terminal, its bus socket, relay pipes) are closed there.
      assert.deepEqual(readdirSync(`/proc/${execStage}/fd`), [], 'the exec stage holds no fds');
      // The same reader, the payload after its execve: dumpable again (the check works).
      const execd = await h.release();
      assert.equal(execd, parkedExec);
      for (const file of GUARDED) {
        const r = readAsPeer(execd, file);
        assert.equal(r.ok, true, `the exec'd payload is dumpable again: ${file}: ${r.err}`);
      }
    } finally {
      assert.equal(await h.end(), 0);
    }
  });
});
