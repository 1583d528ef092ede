#!/usr/bin/env node
// `npm test`: every test of tsmachine, with one command.
//
//   1. host Debian packages the build and the tests need (installed when root)
//   2. npm run build (tsc puts the compiled tests in build/test/)
//   3. unit tests on this machine: node --test build/test/unit/**/*.test.js
//   4. the .deb and .rpm into dist/ (npm run package:deb, package:rpm), which
//      the package tests install in the guest
//   5. integration tests in ONE throwaway Debian 12 VM with systemd as PID 1
//      (this machine's PID 1 is not systemd and it has no cgroup v2
//      controllers; see test/vm/README.md): node --test
//      build/test/integration/**/*.test.js as root, cwd /mnt/host = this checkout
//
//   node scripts/test.mjs                       all of it
//   node scripts/test.mjs --unit                host unit tests only
//   node scripts/test.mjs --integration         the VM suite only
//   node scripts/test.mjs --integration --host  the integration suite right here
//                                               (only where PID 1 is systemd)
//   --no-build                                  reuse build/ as it is (iterating on tests)
//
// The last line printed is always `N passed, N failed`, host and guest tests
// summed. Exit status is non-zero if any test failed, the build or the VM
// failed, or no test ran at all.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureImage } from '../test/vm/image.mjs';
import { bootVm } from '../test/vm/boot.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'build/test-results');
const VM_JOB = '.tsmvm/integration';
/** One test may take this long before node --test cancels it. */
const TEST_TIMEOUT_MS = 5 * 60_000;

const USAGE = 'usage: node scripts/test.mjs [--unit] [--integration [--host]] [--no-build] | --install-only';
const flags = new Set(process.argv.slice(2));
for (const f of flags) {
  if (f === '-h' || f === '--help') { console.log(USAGE); process.exit(0); }
  if (!['--unit', '--integration', '--host', '--no-build', '--install-only'].includes(f)) { console.error(`test: unknown option ${f}\n${USAGE}`); process.exit(2); }
}
const onHost = flags.has('--host');
const wantUnit = flags.has('--unit') || !flags.has('--integration');
const wantIntegration = flags.has('--integration') || !flags.has('--unit');
if (onHost && !flags.has('--integration')) { console.error(`test: --host goes with --integration\n${USAGE}`); process.exit(2); }
if (onHost) {
  const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  if (pid1 !== 'systemd') {
    console.error(`test: --host needs systemd as PID 1, but PID 1 here is "${pid1}"; drop --host to run the suite in the test VM`);
    process.exit(2);
  }
}

const t0 = Date.now();
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = []; // what fails the run besides failing tests
const timings = [];
const log = (msg) => console.log(`\n[test] ${msg}`);

await ensureHostPackages([
  'busybox-static', 'dbus', // the built-in image; host D-Bus tests run their own dbus-daemon
  'nftables', 'iproute2', 'curl', // host network tests (libnftables, ip netns, observing with curl)
  'zstd', 'python3', // image unit tests: zstd layers, hostile tarballs made with tarfile
  ...(wantIntegration ? ['fakeroot', 'rpm'] : []), // the .deb and .rpm the package tests install
  ...(wantIntegration && !onHost ? ['qemu-system-x86', 'qemu-system-common', 'mmdebstrap', 'e2fsprogs'] : []),
]);
if (flags.has('--install-only')) process.exit(0); // npm run demo: packages only

try {
  if (!flags.has('--no-build') && await timed('build', () => step('npm', ['run', 'build'])) !== 0) {
    problems.push('npm run build failed');
  } else {
    mkdirSync(RESULTS, { recursive: true });
    if (wantUnit) await unitTests();
    if (wantIntegration && await timed('packages', buildPackages)) await (onHost ? integrationOnHost() : integrationInVm());
  }
} catch (err) { // a bug here must still end on the summary line, as a failure
  problems.push(`test harness: ${err.stack ?? err}`);
}
finish();

// ---------------------------------------------------------------------------

async function unitTests() {
  const files = testFiles('build/test/unit');
  if (files.length === 0) { problems.push('no unit test files in build/test/unit'); return; }
  log(`unit tests on the host: ${files.length} files`);
  const tap = join(RESULTS, 'unit.tap');
  const rc = await timed('unit', () => step(process.execPath, nodeTestArgs(tap, files)));
  count('unit', tap, rc);
}

/**
 * The .deb and .rpm of this build, in dist/, where the package tests
 * (test/integration/package-*.test.ts, service-*, settings-*) install them
 * from. Stale packages of an earlier version go first.
 */
async function buildPackages() {
  log('packages: npm run package:deb, package:rpm → dist/');
  for (const f of existsSync(join(ROOT, 'dist')) ? readdirSync(join(ROOT, 'dist')) : []) {
    if (/\.(deb|rpm)$/.test(f)) rmSync(join(ROOT, 'dist', f), { force: true });
  }
  for (const kind of ['deb', 'rpm']) {
    if (await step('npm', ['run', '-s', `package:${kind}`]) !== 0) { problems.push(`npm run package:${kind} failed`); return false; }
  }
  return true;
}

async function integrationOnHost() {
  const files = testFiles('build/test/integration');
  if (files.length === 0) { problems.push('no integration test files in build/test/integration'); return; }
  log(`integration tests on this host (PID 1 is systemd): ${files.length} files`);
  const tap = join(RESULTS, 'integration.tap');
  const rc = await timed('suite', () => step(process.execPath, nodeTestArgs(tap, files)));
  count('integration', tap, rc);
}

async function integrationInVm() {
  const files = testFiles('build/test/integration');
  if (files.length === 0) { problems.push('no integration test files in build/test/integration'); return; }
  if (process.getuid?.() !== 0) { problems.push('the VM suite needs root (mmdebstrap, virtiofsd)'); return; }

  log('guest image');
  const tImage = Date.now();
  let image;
  try {
    image = await ensureImage({ log: (m) => console.log(`[test] ${m}`) });
  } catch (err) {
    problems.push(err.message);
    return;
  }
  timings.push(['image', image.built ? seconds(tImage) : 'cached']);

  // The job the guest's tsm-runner executes, with paths relative to the share.
  const tap = join(RESULTS, 'integration.tap');
  rmSync(tap, { force: true });
  mkdirSync(join(ROOT, VM_JOB), { recursive: true });
  const env = ['PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', `CI=${process.env.CI ?? ''}`];
  if (process.stdout.isTTY) env.push('FORCE_COLOR=1');
  const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
  writeFileSync(join(ROOT, VM_JOB, 'run.sh'), [
    `export ${env.map(quote).join(' ')}`,
    `exec node ${nodeTestArgs(relative(ROOT, tap), files).map(quote).join(' ')}`,
    '',
  ].join('\n'));

  const boot = (conservative = false) => bootVm({
    image: image.dir,
    share: ROOT,
    job: VM_JOB,
    bootTimeoutS: Number(process.env.TSM_VM_BOOT_TIMEOUT ?? 600),
    jobTimeoutS: Number(process.env.TSM_VM_JOB_TIMEOUT ?? 2400),
    conservative,
  });
  log(`booting the test VM (qemu TCG, 2 vCPUs, 4096 MB) for ${files.length} integration test files`);
  // TSM_VM_CONSERVATIVE=1: a host known to stall with -cpu max goes straight to the second profile.
  const conservativeFirst = process.env.TSM_VM_CONSERVATIVE === '1';
  let vm = await boot(conservativeFirst);
  if (!vm.ok && !vm.started && !conservativeFirst) {
    // A boot that never reached the job ran no test: one more boot (a fresh
    // snapshot of the disk), with nothing taken from the host CPU, before
    // calling the run failed.
    console.log(`\n[test] the VM failed before the tests: ${vm.error}\n--- console, last 40 lines ---\n${vm.consoleTail}\n---`);
    timings.push(['failed boot', vm.bootS]);
    log('booting the test VM again, conservatively (-cpu Nehalem, one TCG thread)');
    vm = await boot(true);
  }
  timings.push(['boot', vm.bootS], ['suite', vm.jobS]);
  if (!vm.ok) {
    console.log(`\n[test] VM FAILED: ${vm.error}\n--- console, last 40 lines (${join(VM_JOB, 'console.log')}) ---\n${vm.consoleTail}\n---`);
    problems.push(`VM: ${vm.error}`);
  }
  count('integration', tap, vm.ok ? vm.rc : null);
}

/** Arguments of `node --test`: spec to the terminal, TAP to a file for counting. */
function nodeTestArgs(tapFile, files) {
  return [
    '--test', `--test-timeout=${TEST_TIMEOUT_MS}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ];
}

/** Compiled test files under a build directory, relative to the checkout. */
function testFiles(dir) {
  const found = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.js')) found.push(relative(ROOT, p));
    }
  };
  walk(join(ROOT, dir));
  return found.sort();
}

/**
 * Add a TAP file's counts to the totals. `rc` is node --test's exit status
 * (null: it never finished). A run that failed without a failing test
 * (a crash, a missing summary) still counts as one failure.
 */
function count(suite, tapFile, rc) {
  const text = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  const summary = (key) => Number([...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].pop()?.[1] ?? 0);
  let passed, failed, skipped;
  if (/^# tests \d+$/m.test(text)) {
    passed = summary('pass');
    failed = summary('fail') + summary('cancelled');
    skipped = summary('skipped') + summary('todo');
  } else { // cut short: count the test points written so far
    passed = (text.match(/^\s*ok \d+/gm) ?? []).length;
    failed = (text.match(/^\s*not ok \d+/gm) ?? []).length;
    skipped = 0;
  }
  if (rc !== 0 && failed === 0) {
    failed = 1;
    problems.push(`${suite}: node --test ${rc === null ? 'did not finish' : `exited ${rc}`} without a failing test`);
  }
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  console.log(`[test] ${suite}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}

function finish() {
  timings.push(['total', seconds(t0)]);
  const shown = timings.map(([k, v]) => `${k} ${typeof v === 'number' ? `${v.toFixed(1)}s` : v}`);
  console.log(`\n[test] time: ${shown.join(', ')}`);
  if (totals.skipped) console.log(`[test] ${totals.skipped} skipped`);
  if (totals.passed + totals.failed === 0 && problems.length === 0) problems.push('no test ran');
  for (const p of problems) console.log(`[test] FAILED: ${p}`);
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  process.exit(totals.failed > 0 || problems.length > 0 ? 1 : 0);
}

// ---------------------------------------------------------------------------

/** Run a command with the terminal attached; resolve to its exit status. */
function step(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
    child.on('error', (err) => { console.error(`[test] ${cmd}: ${err.message}`); resolve(127); });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function timed(label, fn) {
  const start = Date.now();
  const result = await fn();
  timings.push([label, seconds(start)]);
  return result;
}

function seconds(since) {
  return (Date.now() - since) / 1000;
}

/**
 * Install the Debian packages that are missing, as root; otherwise name them
 * and stop. apt is retried while another apt/dpkg holds its lock.
 */
async function ensureHostPackages(wanted) {
  const q = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...wanted], { encoding: 'utf8' });
  if (q.error) { console.log('[test] no dpkg-query: not checking host packages'); return; }
  const installed = new Set(q.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = wanted.filter((p) => !installed.has(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(`[test] missing Debian packages: ${missing.join(' ')}\n[test] run as root, or: sudo apt-get install ${missing.join(' ')}`);
    process.exit(1);
  }
  log(`installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=120', ...args], { stdio: 'inherit', env }).status === 0;
  for (let attempt = 1; attempt <= 5; attempt++) {
    if (apt(['update']) && apt(['install', '-y', '--no-install-recommends', ...missing])) return;
    console.log(`[test] apt-get failed (another apt running?); retry ${attempt}/5 in 15s`);
    await sleep(15_000);
  }
  console.error(`[test] could not install ${missing.join(' ')}`);
  process.exit(1);
}
