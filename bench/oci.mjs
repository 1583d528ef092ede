#!/usr/bin/env node
// tsmachine-oci against crun and runc (issue 17), run by bench/guest.mjs in the
// test VM: the lifecycle podman and containerd drive (create, start, wait for
// the payload's end, delete) of one busybox bundle running /bin/true, each
// runtime with --systemd-cgroup on the same bundle, interleaved; then what
// stays resident beside a container's payload.
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const N = Number(process.env.BENCH_RUNS ?? 20);
const DIR = '/var/lib/tsmbench-oci';
const line = (s) => console.log(`bench: ${s}`);
const RUNTIMES = [
  ['tsmachine-oci', join(ROOT, 'bin/tsmachine-oci')],
  ['crun', '/usr/bin/crun'],
  ['runc', '/usr/bin/runc'],
].filter(([, bin]) => existsSync(bin));

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
cpSync(join(ROOT, 'build/images/httpd/rootfs'), join(DIR, 'rootfs'), { recursive: true, verbatimSymlinks: true });
const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const config = (args) => ({
  ociVersion: '1.0.2',
  process: { terminal: false, user: { uid: 0, gid: 0 }, args, env: ['PATH=/bin:/usr/bin'], cwd: '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps }, rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], noNewPrivileges: true },
  root: { path: 'rootfs', readonly: true },
  hostname: 'bench',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ],
  linux: {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
    readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
  },
});

// create hands its stdout and stderr to the container's init, which holds them
// until it ends: a pipe there would keep spawnSync waiting. They go to a file.
const ERR = join(DIR, 'runtime.err');
function rt(bin, name, args) {
  const creates = args[0] === 'create';
  const errFd = creates ? openSync(ERR, 'w') : null;
  const r = spawnSync(bin, ['--root', `/run/bench-${name}`, '--systemd-cgroup', ...args], { stdio: ['ignore', creates ? 'ignore' : 'pipe', errFd ?? 'pipe'], encoding: 'utf8' });
  if (errFd !== null) closeSync(errFd);
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: exit ${r.status}: ${creates ? readFileSync(ERR, 'utf8') : r.stderr}`);
  return r.stdout;
}
const gone = (pid) => {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true; // reaped already
  }
};

const now = () => Number(process.hrtime.bigint()) / 1e6;
/** One lifecycle; returns the whole and each verb's time (ms), and for ours the create's trace phases. */
function lifecycle(name, bin, id, args) {
  writeFileSync(join(DIR, 'config.json'), JSON.stringify({ ...config(args), linux: { ...config(args).linux, cgroupsPath: `machine.slice:bench:${id}` } }));
  const t0 = now();
  rt(bin, name, ['create', '--bundle', DIR, '--pid-file', join(DIR, 'pid'), id]);
  const t1 = now();
  const pid = Number(readFileSync(join(DIR, 'pid'), 'utf8'));
  rt(bin, name, ['start', id]);
  const t2 = now();
  while (!gone(pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  const t3 = now();
  rt(bin, name, ['delete', id]);
  const t4 = now();
  const phases = process.env.TSMACHINE_TRACE === '1' ? [...readFileSync(ERR, 'utf8').matchAll(/^trace: (\S+) ([\d.]+) ms/gm)].map((m) => [m[1], Number(m[2])]) : [];
  return { total: t4 - t0, create: t1 - t0, start: t2 - t1, wait: t3 - t2, delete: t4 - t3, phases };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.max(0, Math.ceil(0.95 * s.length) - 1)] };
};
const runs = Object.fromEntries(RUNTIMES.map(([n]) => [n, []]));
for (const [n, bin] of RUNTIMES) lifecycle(n, bin, `warm-${n}`, ['/bin/true']);
process.env.TSMACHINE_TRACE = '1'; // only tsmachine-oci reads it
for (let i = 0; i < N; i++) for (const [n, bin] of RUNTIMES) runs[n].push(lifecycle(n, bin, `b${i}-${n}`, ['/bin/true']));
delete process.env.TSMACHINE_TRACE;
const med = Object.fromEntries(RUNTIMES.map(([n]) => [n, stats(runs[n].map((r) => r.total))]));
line(`oci create+start+wait+delete /bin/true x${N}: ${RUNTIMES.map(([n]) => `${n} median ${med[n].median.toFixed(0)} ms, p95 ${med[n].p95.toFixed(0)} ms`).join(' | ')}`);
for (const peer of ['crun', 'runc']) if (med[peer]) line(`oci lifecycle ratio tsmachine-oci/${peer}: ${(med['tsmachine-oci'].median / med[peer].median).toFixed(2)}`);
line(`oci per verb (median ms): ${RUNTIMES.map(([n]) => `${n} ${['create', 'start', 'wait', 'delete'].map((v) => `${v} ${stats(runs[n].map((r) => r[v])).median.toFixed(0)}`).join(', ')}`).join(' | ')}`);
const phases = {};
for (const r of runs['tsmachine-oci'] ?? []) for (const [k, v] of r.phases) (phases[k] ??= []).push(v);
line(`tsmachine-oci create phases (median ms): ${Object.entries(phases).map(([k, v]) => `${k} ${stats(v).median.toFixed(1)}`).join(', ')}`);

// What stays beside a container: created (the parked init, before start) and
// running (every process of the scope but the payload, plus any runtime process left).
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const parts = [];
for (const [n, bin] of RUNTIMES) {
  const id = `rss-${n}`;
  writeFileSync(join(DIR, 'config.json'), JSON.stringify({ ...config(['sleep', '1000']), linux: { ...config([]).linux, cgroupsPath: `machine.slice:bench:${id}` } }));
  rt(bin, n, ['create', '--bundle', DIR, '--pid-file', join(DIR, 'pid'), id]);
  const pid = Number(readFileSync(join(DIR, 'pid'), 'utf8'));
  const created = rss(pid);
  rt(bin, n, ['start', id]);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  const procs = readFileSync(`/sys/fs/cgroup/machine.slice/bench-${id}.scope/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  const beside = procs.filter((p) => p !== pid).reduce((a, p) => a + rss(p), 0);
  const runtimeLeft = spawnSync('pgrep', ['-f', `${n === 'tsmachine-oci' ? 'tsmachine-oci' : n} .*${id}`]).stdout?.toString().trim() ?? '';
  parts.push(`${n}: parked init ${created} kB, beside the payload ${beside} kB${runtimeLeft ? ` (runtime processes left: ${runtimeLeft})` : ''}`);
  rt(bin, n, ['delete', '--force', id]);
}
line(`oci resident memory per container: ${parts.join(' | ')}`);
rmSync(DIR, { recursive: true, force: true });
