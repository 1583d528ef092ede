#!/usr/bin/env node
// `npm test`: every test of tsmachine, with one command.
//
//   1. host Debian packages the build and the tests need (scripts/setup-host.mjs)
//   2. npm run build (tsc puts the compiled tests in build/test/)
//   3. test/unit: pure logic, self-contained, any user, no side effects on the host
//   4. test/host: root and the real kernel of this machine, no systemd (the
//      native stages, netlink, nftables): what runc calls its unit tests that need root
//   5. test/integration and test/package in ONE throwaway Debian 12 VM with
//      systemd as PID 1 (this machine's PID 1 is not systemd and it has no
//      cgroup v2 controllers; see vm/README.md), as root, cwd /mnt/host =
//      this checkout; the .deb and .rpm are built first for test/package
//
//   node scripts/test.mjs                  all of it
//   node scripts/test.mjs --unit           test/unit only
//   node scripts/test.mjs --host           test/host only
//   node scripts/test.mjs --integration    the VM suite only (test/integration, test/package)
//   ... --integration --here               the VM suite right here (only where PID 1 is systemd)
//   --no-build                             reuse build/ as it is (iterating on tests)
//
// The last line printed is always `N passed, N failed`, all suites summed.
// Exit status is non-zero if any test failed, the build or the VM failed, or
// no test ran at all.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImage } from '../vm/image.mjs';
import { bootVm } from '../vm/boot.mjs';
import { BUILD, PACKAGING, TESTS, VM, ensureHostPackages } from './setup-host.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'build/test-results');
const VM_JOB = '.tsmvm/integration';
/** One test may take this long before node --test cancels it. */
const TEST_TIMEOUT_MS = 5 * 60_000;

const USAGE = 'usage: node scripts/test.mjs [--unit] [--host] [--integration [--here]] [--no-build]';
const flags = new Set(process.argv.slice(2));
for (const f of flags) {
  if (f === '-h' || f === '--help') { console.log(USAGE); process.exit(0); }
  if (!['--unit', '--host', '--integration', '--here', '--no-build'].includes(f)) { console.error(`test: unknown option ${f}\n${USAGE}`); process.exit(2); }
}
const chosen = ['--unit', '--host', '--integration'].filter((f) => flags.has(f));
const wantUnit = chosen.length === 0 || flags.has('--unit');
const wantHost = chosen.length === 0 || flags.has('--host');
const wantIntegration = chosen.length === 0 || flags.has('--integration');
const here = flags.has('--here');
if (here && !flags.has('--integration')) { console.error(`test: --here goes with --integration\n${USAGE}`); process.exit(2); }
if (here) {
  const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  if (pid1 !== 'systemd') {
    console.error(`test: --here needs systemd as PID 1, but PID 1 here is "${pid1}"; drop --here to run the suite in the test VM`);
    process.exit(2);
  }
}

const t0 = Date.now();
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = []; // what fails the run besides failing tests
const timings = [];
const log = (msg) => console.log(`\n[test] ${msg}`);

await ensureHostPackages([
  ...BUILD, ...TESTS,
  ...(wantIntegration ? PACKAGING : []),
  ...(wantIntegration && !here ? VM : []),
]);

try {
  if (!flags.has('--no-build') && await timed('build', () => step('npm', ['run', 'build'])) !== 0) {
    problems.push('npm run build failed');
  } else {
    mkdirSync(RESULTS, { recursive: true });
    if (wantUnit) await hostSuite('unit', 'build/test/unit');
    if (wantHost) {
      if (process.getuid?.() === 0) await hostSuite('host', 'build/test/host');
      else problems.push('test/host needs root (the native stages, netlink, nftables on the real kernel)');
    }
    if (wantIntegration && await timed('packages', buildPackages)) await (here ? integrationHere() : integrationInVm());
  }
} catch (err) { // a bug here must still end on the summary line, as a failure
  problems.push(`test harness: ${err.stack ?? err}`);
}
finish();

// ---------------------------------------------------------------------------

/** A suite that runs on this machine (test/unit, test/host). */
async function hostSuite(suite, dir) {
  const files = testFiles(dir);
  if (files.length === 0) { problems.push(`no ${suite} test files in ${dir}`); return; }
  log(`${suite} tests on this machine: ${files.length} files`);
  const tap = join(RESULTS, `${suite}.tap`);
  const rc = await timed(suite, () => step(process.execPath, nodeTestArgs(tap, files)));
  count(suite, tap, rc);
}

/** What runs under systemd: test/integration, then test/package (which installs the .deb and .rpm). */
function systemdTestFiles() {
  return [...testFiles('build/test/integration'), ...testFiles('build/test/package')];
}

/**
 * The .deb and .rpm of this build, in dist/, where test/package installs
 * them from. Stale packages of an earlier version go first.
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

async function integrationHere() {
  const files = systemdTestFiles();
  if (files.length === 0) { problems.push('no test files in build/test/integration or build/test/package'); return; }
  log(`integration tests on this host (PID 1 is systemd): ${files.length} files`);
  const tap = join(RESULTS, 'integration.tap');
  const rc = await timed('suite', () => step(process.execPath, nodeTestArgs(tap, files)));
  count('integration', tap, rc);
}

async function integrationInVm() {
  const files = systemdTestFiles();
  if (files.length === 0) { problems.push('no test files in build/test/integration or build/test/package'); return; }
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
