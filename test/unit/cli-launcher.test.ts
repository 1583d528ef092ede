import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';

/**
 * bin/tsmachine.cjs runs the bundle with a V8 code cache: written by root at
 * exit when missing or rejected, accepted on the next start, upgraded to the
 * "full" kind only by a runtime verb that succeeded.
 */
const LAUNCHER = join(ROOT, 'bin', 'tsmachine.cjs');
const BUNDLE = join(ROOT, 'dist', 'tsmachine.cjs');
const skip = !existsSync(BUNDLE) ? 'needs npm run build (dist/tsmachine.cjs)' : process.getuid?.() !== 0 ? 'the cache is written by root only' : false;

function cli(dir: string, args: string[]): { code: number | null; cache: string; out: string } {
  const r = spawnSync(process.execPath, [LAUNCHER, ...args], {
    encoding: 'utf8', env: { ...process.env, TSMACHINE_V8_CACHE_DIR: dir, TSMACHINE_TRACE: '1' },
  });
  const cache = /^trace: code-cache (.*)$/m.exec(r.stderr)?.[1] ?? `no trace line in: ${r.stderr}`;
  return { code: r.status, cache, out: r.stdout };
}

test('the code cache is written, accepted, replaced when corrupt, and upgraded only by a runtime verb that succeeded', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-v8-'));
  try {
    const first = cli(dir, ['--version']);
    assert.equal(first.code, 0);
    assert.equal(first.out.trim(), 'tsmachine 0.1.0', 'the bundle ran');
    assert.equal(first.cache, 'none');
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /\.light$/);

    assert.equal(cli(dir, ['--help']).cache, 'light accepted');

    // A usage error of a runtime verb compiled little: no full cache from it.
    const failed = cli(dir, ['start']);
    assert.equal(failed.code, 125);
    assert.equal(failed.cache, 'light accepted');
    assert.deepEqual(readdirSync(dir).map((f) => f.split('.').pop()), ['light']);

    writeFileSync(join(dir, files[0]!), Buffer.alloc(4096, 7));
    assert.equal(cli(dir, ['--version']).cache, 'light rejected');
    assert.equal(cli(dir, ['--version']).cache, 'light accepted', 'rewritten after the rejection');

    // Another bundle or Node: a different key; the stale file is removed on the next write.
    writeFileSync(join(dir, 'v0.0.0-x64-1-1-1.full'), 'stale');
    rmSync(join(dir, files[0]!));
    assert.equal(cli(dir, ['--version']).cache, 'none');
    assert.deepEqual(readdirSync(dir).map((f) => f.split('.').pop()), ['light'], 'the stale cache is gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * `import` is long, hot JavaScript: under the command's --jitless the
 * launcher runs it in a node with its JIT, passing on its exit status and
 * a SIGTERM sent to the launcher alone.
 */
test('import under --jitless runs in a child node with the JIT; status and SIGTERM pass through', { skip: !existsSync(BUNDLE) ? 'needs npm run build' : false }, async () => {
  const state = mkdtempSync(join(tmpdir(), 'tsm-import-'));
  const env = { ...process.env, TSMACHINE_STATE_DIR: state };
  const jitless = [process.execPath, '--jitless', '--no-expose-wasm', LAUNCHER];
  try {
    const missing = spawnSync(jitless[0]!, [...jitless.slice(1), 'import', '/nonexistent-source'], { encoding: 'utf8', env });
    assert.equal(missing.status, 125);
    assert.match(missing.stderr, /^tsmachine: import \/nonexistent-source: .*does not exist/m);

    // Reading an import from a stdin that never ends: the child is the node without --jitless.
    const parent = spawn(jitless[0]!, [...jitless.slice(1), 'import', '--name', 'never', '-'], { stdio: ['pipe', 'ignore', 'ignore'], env });
    const childPid = await (async () => {
      for (let i = 0; i < 200; i++) {
        const kids = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        for (const k of kids) {
          const argv = readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0');
          if (argv.includes('import') && !argv.includes('--jitless')) return k;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('no child node ran the import');
    })();
    const exited = new Promise<number | null>((resolve) => parent.on('exit', (code) => resolve(code)));
    parent.kill('SIGTERM');
    assert.equal(await exited, 143, '128 + SIGTERM: the child was terminated and the launcher says so');
    for (let i = 0; i < 100 && existsSync(`/proc/${childPid}/cmdline`) && readFileSync(`/proc/${childPid}/cmdline`, 'utf8').includes('import'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(!existsSync(`/proc/${childPid}/cmdline`) || !readFileSync(`/proc/${childPid}/cmdline`, 'utf8').includes('import'), 'the child is gone');
    parent.stdin?.destroy();
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});
