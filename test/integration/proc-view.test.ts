/**
 * --lxcfs (issue 19): with lxcfs running, a container's /proc/meminfo,
 * cpuinfo, uptime... and /sys/devices/system/cpu/online show its own limits.
 * Checked with the tools a program would use: procps `free` (reads
 * /proc/meminfo), busybox `top`, glibc's sysconf through `getconf`, and the
 * files themselves; and what lxcfs does not cover (sysinfo(2), the cpuN
 * directories) is pinned down too, so the man page's claims stay true.
 *
 * The image is a directory in /var/lib/machines: the built-in busybox image
 * plus the VM's own procps `free` and glibc `getconf` with their libraries
 * (busybox's free takes its totals from sysinfo(2), which lxcfs cannot change).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CHECKOUT, run, tsmachine, unitProperty, waitUntil } from './helpers.js';

const IMAGE = 'tsm-procview';
const IMAGE_DIR = `/var/lib/machines/${IMAGE}`;
const DROPIN_DIR = '/etc/systemd/system/lxcfs.service.d';
const DROPIN = `${DROPIN_DIR}/tsm-test-cfs.conf`;
const created: string[] = [];

const shOk = (cmd: string): string => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const lxcfsActive = (): boolean => (execFileSync('sh', ['-c', 'systemctl is-active lxcfs || true'], { encoding: 'utf8' }).trim() === 'active');

async function lxcfsUp(): Promise<void> {
  if (!lxcfsActive()) shOk('systemctl start lxcfs');
  // Type=simple: the unit is active before the FUSE mount is there.
  await waitUntil('lxcfs mounted on /var/lib/lxcfs', () => existsSync('/var/lib/lxcfs/proc/meminfo'), { timeoutMs: 30_000 });
}

async function lxcfsDown(): Promise<void> {
  shOk('systemctl stop lxcfs');
  await waitUntil('lxcfs unmounted', () => !existsSync('/var/lib/lxcfs/proc/meminfo'), { timeoutMs: 30_000 });
}

/** A detached container that just sleeps (busybox sleep as PID 1: rm --force kills it). */
async function start(name: string, ...args: string[]): Promise<void> {
  created.push(name);
  const r = await tsmachine(['start', name, '--image', IMAGE, '--network', 'none', ...args, '--', 'sleep', '100000']);
  assert.equal(r.code, 0, `start ${name}: ${r.stderr}`);
}

/** stdout of a command run with exec in the container, which must succeed. */
async function inside(name: string, cmd: string): Promise<string> {
  const r = await tsmachine(['exec', name, 'sh', '-c', cmd]);
  assert.equal(r.code, 0, `exec ${name} ${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

async function status(name: string): Promise<{ state: string; procView: boolean; procViewError: string | null; leader: number }> {
  const r = await tsmachine(['status', name, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const memTotalKb = (meminfo: string): number => Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1]);
/** procps free -m: the Mem: line's total. */
const freeTotal = (out: string): number => Number(/^Mem:\s+(\d+)/m.exec(out)?.[1]);

before(async () => {
  // The test image: busybox, and procps free and glibc getconf with the libraries they load.
  rmSync(IMAGE_DIR, { recursive: true, force: true });
  mkdirSync('/var/lib/machines', { recursive: true });
  shOk(`cp -a '${CHECKOUT}build/images/httpd/rootfs' '${IMAGE_DIR}'`);
  const libs = shOk("ldd /usr/bin/free /usr/bin/getconf | awk '/=> \\//{print $3} /^\\t\\/lib64/{print $1}' | sort -u").split('\n').filter(Boolean);
  for (const f of ['/usr/bin/free', '/usr/bin/getconf', ...libs]) shOk(`cp -L --remove-destination --parents '${f}' '${IMAGE_DIR}'`);
  await lxcfsUp();
});

after(async () => {
  for (const n of created) await tsmachine(['rm', '--force', n]);
  rmSync(DROPIN, { force: true });
  shOk('systemctl daemon-reload');
  // Leave lxcfs as the other test files expect it: running, with Debian's flags.
  if (lxcfsActive()) shOk('systemctl restart lxcfs');
  await lxcfsUp();
  rmSync(IMAGE_DIR, { recursive: true, force: true });
});

test('--memory 64M: /proc/meminfo, procps free and busybox top show 64M; update --memory 128M shows at once, in exec', async () => {
  await start('pv-mem', '--memory', '64M');
  const st = await status('pv-mem');
  assert.equal(st.procView, true, 'status --json says the view is there');
  assert.equal(st.procViewError, null);

  assert.match(await inside('pv-mem', 'head -1 /proc/meminfo'), /^MemTotal:\s+65536 kB$/);
  assert.equal(freeTotal(await inside('pv-mem', '/usr/bin/free -m')), 64, 'procps free reads MemTotal from /proc/meminfo');
  // busybox top: "Mem: <used>K used, <free>K free, ...", used = MemTotal - MemFree.
  const top = /^Mem: (\d+)K used, (\d+)K free/m.exec(await inside('pv-mem', 'top -bn1'));
  assert.ok(top, 'top printed its Mem: line');
  assert.equal(Number(top[1]) + Number(top[2]), 65536, 'top: used + free = the container\'s 64M');
  // Not covered: busybox free takes total and free from sysinfo(2), which the kernel answers for the host.
  const hostMib = Math.floor(memTotalKb(readFileSync('/proc/meminfo', 'utf8')) / 1024);
  const bbFree = freeTotal(await inside('pv-mem', 'busybox free -m'));
  assert.ok(Math.abs(bbFree - hostMib) <= 2, `busybox free: the host's total (sysinfo(2)), ${bbFree} vs ${hostMib} MiB`);

  assert.equal((await tsmachine(['update', 'pv-mem', '--memory', '128M'])).code, 0);
  assert.equal(memTotalKb(await inside('pv-mem', 'cat /proc/meminfo')), 131072, 'lxcfs reads memory.max at every read');
  assert.equal(freeTotal(await inside('pv-mem', '/usr/bin/free -m')), 128);

  // The payload itself (not only exec'd commands) sees it, and a --bind onto the same file wins.
  const payload = await tsmachine(['run', '--rm', '--image', IMAGE, '--network', 'none', '--memory', '96M', 'pv-run', 'head', '-1', '/proc/meminfo']);
  assert.equal(payload.code, 0, payload.stderr);
  assert.match(payload.stdout, /^MemTotal:\s+98304 kB$/m);
  writeFileSync('/run/tsm-pv-meminfo', 'MemTotal: 1 kB\n');
  const mine = await tsmachine(['run', '--rm', '--image', IMAGE, '--network', 'none', '--bind', '/run/tsm-pv-meminfo:/proc/meminfo:ro', 'pv-bind', 'cat', '/proc/meminfo']);
  assert.equal(mine.stdout, 'MemTotal: 1 kB\n', mine.stderr);
});

test('the view is read-only and exec sees the same files as the payload', async () => {
  const w = await tsmachine(['exec', 'pv-mem', 'sh', '-c', 'echo x > /proc/meminfo']);
  assert.notEqual(w.code, 0, 'a write to the bound meminfo fails');
  const { leader } = await status('pv-mem');
  const mounts = readFileSync(`/proc/${leader}/mountinfo`, 'utf8');
  for (const f of ['/proc/meminfo', '/proc/cpuinfo', '/proc/uptime', '/proc/stat', '/sys/devices/system/cpu/online'])
    assert.match(mounts, new RegExp(`^\\S+ \\S+ \\S+ ${f} ${f} ro,\\S* (?:.* )?- fuse\\.lxcfs `, 'm'), `${f} is lxcfs's, read-only`);
});

test('--cpuset-cpus 0: nproc, cpuinfo, cpu/online and sysconf(_SC_NPROCESSORS_ONLN) say 1', async () => {
  const hostCpus = Number(shOk('nproc').trim());
  assert.ok(hostCpus >= 2, `the VM has ${hostCpus} CPUs: this test needs 2`);
  await start('pv-cpu', '--cpuset-cpus', '0');
  assert.equal(await inside('pv-cpu', 'nproc'), '1');
  assert.equal(await inside('pv-cpu', 'grep -c ^processor /proc/cpuinfo'), '1');
  assert.equal(await inside('pv-cpu', 'cat /sys/devices/system/cpu/online'), '0');
  assert.equal(await inside('pv-cpu', '/usr/bin/getconf _NPROCESSORS_ONLN'), '1', 'glibc reads cpu/online');
  // Not covered: _SC_NPROCESSORS_CONF counts the cpuN directories of /sys/devices/system/cpu, which stay the host's.
  assert.equal(await inside('pv-cpu', '/usr/bin/getconf _NPROCESSORS_CONF'), String(hostCpus));
  // Without lxcfs's view the same cpuset still limits nproc (sched_getaffinity), but not the files.
  const plain = await tsmachine(['run', '--rm', '--image', IMAGE, '--network', 'none', '--cpuset-cpus', '0', '--lxcfs', 'no', 'pv-cpu-no', 'sh', '-c', 'nproc; grep -c ^processor /proc/cpuinfo']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(plain.stdout.trim().split('\n'), ['1', String(hostCpus)]);
});

test('uptime is the container\'s, and stat and loadavg come from lxcfs', async () => {
  await start('pv-up');
  await new Promise((r) => setTimeout(r, 3000));
  const host = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const mine = Number((await inside('pv-up', 'cat /proc/uptime')).split(' ')[0]);
  assert.ok(mine >= 2 && mine < host - 5, `container uptime ${mine} s, host ${host} s`);
  assert.match(await inside('pv-up', 'head -1 /proc/stat'), /^cpu /);
  assert.match(await inside('pv-up', 'cat /proc/loadavg'), /^\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+\/\d+ \d+$/);
});

test('--private-users: the view is readable from inside a user namespace', async () => {
  const r = await tsmachine(['run', '--rm', '--image', IMAGE, '--network', 'none', '--private-users', 'pick', '--memory', '80M', 'pv-userns', 'head', '-1', '/proc/meminfo']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^MemTotal:\s+81920 kB$/m);
});

test('lxcfs restarted under a running container: status says the view is lost; a new container gets the new mount', async () => {
  // The CPU-quota view is lxcfs's --enable-cfs, set with a drop-in as the man page says.
  const noCfs = await tsmachine(['run', '--rm', '--image', IMAGE, '--network', 'none', '--cpus', '0.5', 'pv-cfs-before', 'grep', '-c', '^processor', '/proc/cpuinfo']);
  assert.equal(noCfs.stdout.trim(), shOk('nproc').trim(), 'without --enable-cfs a CPU quota does not change cpuinfo');

  mkdirSync(DROPIN_DIR, { recursive: true });
  writeFileSync(DROPIN, '[Service]\nExecStart=\nExecStart=/usr/bin/lxcfs --enable-cfs /var/lib/lxcfs\n');
  shOk('systemctl daemon-reload');
  shOk('systemctl restart lxcfs');
  await waitUntil('lxcfs mounted again', () => existsSync('/var/lib/lxcfs/proc/meminfo'), { timeoutMs: 30_000 });
  assert.match(unitProperty('lxcfs.service', 'ExecStart'), /--enable-cfs/);

  const lost = await status('pv-mem');
  assert.equal(lost.state, 'running');
  assert.match(lost.procViewError ?? '', /ENOTCONN/, 'status --json names the dead mount');
  const text = await tsmachine(['status', 'pv-mem']);
  assert.match(text.stdout, /Proc view: lxcfs, lost \(ENOTCONN\).*systemctl reload lxcfs/);
  const r = await tsmachine(['exec', 'pv-mem', 'cat', '/proc/meminfo']);
  assert.notEqual(r.code, 0, 'reading the dead mount fails inside');

  await start('pv-cfs', '--cpus', '0.5');
  assert.equal(await inside('pv-cfs', 'grep -c ^processor /proc/cpuinfo'), '1', 'a quota of half a CPU shows as 1 CPU');
  assert.equal(await inside('pv-cfs', 'cat /sys/devices/system/cpu/online'), '0');
  assert.equal((await status('pv-cfs')).procViewError, null);

  // systemctl reload (SIGUSR1: lxcfs reloads its liblxcfs in place) keeps running containers' mounts.
  shOk('systemctl reload lxcfs');
  await new Promise((r2) => setTimeout(r2, 1000));
  assert.equal(await inside('pv-cfs', 'grep -c ^processor /proc/cpuinfo'), '1');
  assert.equal((await status('pv-cfs')).procViewError, null);
});

test('lxcfs stopped: --lxcfs yes fails in one line with exit 125 and leaves nothing; auto starts without the view', async () => {
  await lxcfsDown();
  const r = await tsmachine(['start', 'pv-yes', '--image', IMAGE, '--network', 'none', '--lxcfs', 'yes', '--', 'sleep', '100']);
  assert.equal(r.code, 125);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, /^tsmachine: start pv-yes: lxcfs is not running .*systemctl enable --now lxcfs\n$/);
  assert.equal(unitProperty('tsmachine-pv-yes.scope', 'LoadState'), 'not-found');
  assert.ok(!existsSync('/var/lib/tsmachine/containers/pv-yes'), 'no container directory');
  assert.ok(!existsSync('/run/tsmachine/pv-yes'), 'no runtime directory');
  assert.notEqual((await run('machinectl', ['show', 'pv-yes'])).code, 0, 'no machine');
  assert.equal((await tsmachine(['status', 'pv-yes'])).code, 125, 'no container');

  await start('pv-auto', '--memory', '64M');
  const st = await status('pv-auto');
  assert.equal(st.state, 'running');
  assert.equal(st.procView, false);
  assert.equal(memTotalKb(await inside('pv-auto', 'cat /proc/meminfo')), memTotalKb(readFileSync('/proc/meminfo', 'utf8')), "the host's meminfo");
  assert.match((await tsmachine(['status', 'pv-auto'])).stdout, /Proc view: no \(the host's\)/);

  await lxcfsUp();
});
