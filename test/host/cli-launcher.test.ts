import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

function cli(dir: string, args: string[], nodeFlags: string[] = []): { code: number | null; cache: string; out: string } {
  const r = spawnSync(process.execPath, [...nodeFlags, LAUNCHER, ...args], {
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

test("another Node's cache of the same bundle stays (two Nodes taking turns); another bundle's goes", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-v8-'));
  try {
    const stamp = /^\/\/ tsmachine-bundle ([0-9a-f]{16})\n/.exec(readFileSync(BUNDLE, 'utf8').slice(0, 64))?.[1];
    assert.ok(stamp, 'the build stamped the bundle');
    const otherNode = `tsmachine-v0.0.1-x64-${stamp}-jitless.full`;
    const otherBundle = 'tsmachine-v0.0.1-x64-0000000000000000-jitless.full';
    writeFileSync(join(dir, otherNode), 'another node');
    writeFileSync(join(dir, otherBundle), 'old bundle');
    assert.equal(cli(dir, ['--version']).cache, 'none');
    const left = readdirSync(dir);
    assert.ok(left.includes(otherNode), `kept: ${left.join(' ')}`);
    assert.ok(!left.includes(otherBundle), 'an older bundle\'s cache is removed');
    assert.equal(left.filter((f) => f.endsWith('.light')).length, 1, 'and this run wrote its own');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runs with and without --jitless keep a cache each instead of replacing each other', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-v8-'));
  const jitless = ['--jitless', '--no-expose-wasm'];
  try {
    assert.equal(cli(dir, ['--version'], jitless).cache, 'none');
    assert.equal(cli(dir, ['--version']).cache, 'none', 'a cache of other flags is not tried');
    assert.equal(readdirSync(dir).length, 2);
    assert.equal(cli(dir, ['--version'], jitless).cache, 'light accepted');
    assert.equal(cli(dir, ['--version']).cache, 'light accepted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the command loads the bundle without node:module, and its lazy built-ins still load', { skip }, () => {
  // A preload reports at exit which of Node's modules the command loaded.
  const dir = mkdtempSync(join(tmpdir(), 'tsm-mods-'));
  try {
    // not in the cache directory: the launcher clears that of what is not its cache
    const cacheDir = join(dir, 'v8');
    const report = join(dir, 'report.cjs');
    writeFileSync(report, `process.on('exit', () => require('node:fs').writeSync(2, 'loaded: ' + process.moduleLoadList.filter((m) => /^NativeModule (module|net|os|timers\\/promises)$/.test(m)).join(',') + '\\n'));`);
    const version = spawnSync(process.execPath, ['--jitless', '--no-expose-wasm', '-r', report, LAUNCHER, '--version'], { encoding: 'utf8', env: { ...process.env, TSMACHINE_V8_CACHE_DIR: cacheDir } });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stderr, /^loaded: $/m, 'neither node:module (20 ms in the VM) nor net');
    // A --dns address is checked with node:net, which the bundle loads on first use with its own require.
    const dns = spawnSync(process.execPath, ['-r', report, LAUNCHER, 'start', 'abc', '--image', 'httpd', '--dns', '1.2.3.400'], {
      encoding: 'utf8', env: { ...process.env, TSMACHINE_V8_CACHE_DIR: cacheDir, TSMACHINE_STATE_DIR: join(dir, 'state') },
    });
    assert.equal(dns.status, 125);
    assert.match(dns.stderr, /^tsmachine: start abc: --dns "1\.2\.3\.400" is not an IP address$/m);
    assert.match(dns.stderr, /^loaded: NativeModule net$/m, 'net loaded lazily, node:module still not');
    // run loads the whole runtime (then refuses the size): no node:os, node:timers/promises either (12 ms in the VM).
    const run = spawnSync(process.execPath, ['-r', report, LAUNCHER, 'run', '--rm', '--network', 'none', '--memory', 'lots', '--image', 'httpd', 'abc', '--', '/bin/true'], {
      encoding: 'utf8', env: { ...process.env, TSMACHINE_V8_CACHE_DIR: cacheDir, TSMACHINE_STATE_DIR: join(dir, 'state'), TSMACHINE_TRACE: '1' },
    });
    assert.equal(run.status, 125);
    assert.match(run.stderr, /^trace: runtime-modules /m, 'the runtime was loaded');
    assert.match(run.stderr, /^tsmachine: run abc: --memory 'lots' is not a size$/m);
    assert.match(run.stderr, /^loaded: $/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reached through a symlink elsewhere (npm .bin), the launcher still finds its bundle', { skip }, () => {
  // --preserve-symlinks-main (its first line) leaves __dirname at the link's directory.
  const dir = mkdtempSync(join(tmpdir(), 'tsm-link-'));
  try {
    symlinkSync(LAUNCHER, join(dir, 'tsmachine'));
    const r = spawnSync(process.execPath, ['--preserve-symlinks-main', join(dir, 'tsmachine'), '--version'], {
      encoding: 'utf8', env: { ...process.env, TSMACHINE_V8_CACHE_DIR: join(dir, 'v8') },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'tsmachine 0.1.0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cache is keyed by the stamp the build puts on the bundle; an unstamped bundle runs without one', { skip }, () => {
  const source = readFileSync(BUNDLE, 'utf8');
  assert.match(source, /^\/\/ tsmachine-bundle [0-9a-f]{16}\n/);
  const dir = mkdtempSync(join(tmpdir(), 'tsm-stamp-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync(LAUNCHER, join(dir, 'bin', 'tsmachine.cjs'));
    writeFileSync(join(dir, 'dist', 'tsmachine.cjs'), source.slice(source.indexOf('\n') + 1));
    const cacheDir = join(dir, 'v8');
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'tsmachine.cjs'), '--version'], {
      encoding: 'utf8', env: { ...process.env, TSMACHINE_V8_CACHE_DIR: cacheDir, TSMACHINE_TRACE: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'tsmachine 0.1.0');
    assert.match(r.stderr, /^trace: code-cache none$/m);
    assert.equal(existsSync(cacheDir), false, 'no cache written for it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
