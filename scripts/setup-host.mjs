#!/usr/bin/env node
// The host's Debian packages for building tsmachine and running its tests,
// apart from the test runner (runc keeps script/setup_host.sh apart the same
// way). Installed when root; otherwise named, with the apt-get line to run.
//
//   node scripts/setup-host.mjs [--vm]   build + host tests [+ the test VM]
//
// scripts/test.mjs, bench.mjs and demo.mjs call ensureHostPackages() with
// what their run needs.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The build: the static busybox of the built-in image; C comes with build-essential (.ci/run). */
export const BUILD = ['busybox-static'];
/** Unit and host tests: their own dbus-daemon, libnftables and ip netns, curl, zstd layers, python's tarfile. */
export const TESTS = ['dbus', 'nftables', 'iproute2', 'curl', 'zstd', 'python3'];
/** The .deb and .rpm the package tests install in the VM. */
export const PACKAGING = ['fakeroot', 'rpm'];
/** The test VM (vm/README.md): qemu, virtiofsd (in qemu-system-common), the image build. */
export const VM = ['qemu-system-x86', 'qemu-system-common', 'mmdebstrap', 'e2fsprogs'];

/**
 * Install the Debian packages that are missing, as root; otherwise name them
 * and exit. apt is retried while another apt/dpkg holds its lock.
 */
export async function ensureHostPackages(wanted) {
  const q = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...wanted], { encoding: 'utf8' });
  if (q.error) { console.log('[setup] no dpkg-query: not checking host packages'); return; }
  const installed = new Set(q.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = wanted.filter((p) => !installed.has(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(`[setup] missing Debian packages: ${missing.join(' ')}\n[setup] run as root, or: sudo apt-get install ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`\n[setup] installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=120', ...args], { stdio: 'inherit', env }).status === 0;
  for (let attempt = 1; attempt <= 5; attempt++) {
    if (apt(['update']) && apt(['install', '-y', '--no-install-recommends', ...missing])) return;
    console.log(`[setup] apt-get failed (another apt running?); retry ${attempt}/5 in 15s`);
    await sleep(15_000);
  }
  console.error(`[setup] could not install ${missing.join(' ')}`);
  process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== '--vm')) { console.error('usage: node scripts/setup-host.mjs [--vm]'); process.exit(2); }
  await ensureHostPackages([...BUILD, ...TESTS, ...(args.includes('--vm') ? [...PACKAGING, ...VM] : [])]);
}
