#!/usr/bin/env node
// The benchmark itself, run as root on a systemd host (inside the test VM by
// `npm run bench`). Peers are measured in the same run on the same rootfs:
// systemd-nspawn is the closest one. Prints medians, p95 and ratios.
import { spawnSync, spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/tsmachine.cjs');
const N = Number(process.env.BENCH_RUNS ?? 20);
const IMG = 'tsmbench';
const ROOTFS = `/var/lib/machines/${IMG}`;

function ms(cmd, args, env = process.env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8' });
  const end = process.hrtime.bigint();
  const t = Number(end - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { t, end, stderr: r.stderr };
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  // median: the upper middle for an even count (as in every earlier run); p95: nearest rank (of 20, the 19th, not the largest)
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.max(0, Math.ceil(0.95 * s.length) - 1)], min: s[0] };
};
const fmt = (s) => `median ${s.median.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms`;
// As a user runs it: the file's first line gives node its flags.
const tsm = (...a) => ms(CLI, a);
const line = (s) => console.log(`bench: ${s}`);

// One rootfs for both: the built-in image copied to /var/lib/machines (a
// directory image for tsmachine, the -D tree for nspawn), off virtiofs.
rmSync(ROOTFS, { recursive: true, force: true });
cpSync(join(ROOT, 'build/images/httpd/rootfs'), ROOTFS, { recursive: true, verbatimSymlinks: true });

function compare(label, ours, theirs) {
  const a = stats(ours), b = stats(theirs);
  line(`${label}: tsmachine ${fmt(a)} | systemd-nspawn ${fmt(b)} | ratio ${(a.median / b.median).toFixed(2)}`);
}

// 1. Node's own share: the floor under any tsmachine command.
const nodeStart = stats(Array.from({ length: 10 }, () => ms(process.execPath, ['-e', '0']).t));
const help = stats(Array.from({ length: 10 }, () => tsm('--help').t));
line(`node -e 0: ${fmt(nodeStart)}; tsmachine --help (bundle parse): ${fmt(help)}`);

// Each comparison starts with one unmeasured run of each: the first bridged run of a boot loads
// kernel modules (bridge, nf_tables) and would otherwise stand in every p95.
// 2. run --rm NAME -- /bin/true, no network, vs nspawn --register=yes /bin/true (nspawn's default shares the host network)
tsm('run', '--rm', '--network', 'none', '--image', IMG, 'bw', '--', '/bin/true');
ms('systemd-nspawn', ['--register=yes', '--quiet', '-D', ROOTFS, '/bin/true']);
const runs = [], nsp = [];
for (let i = 0; i < N; i++) {
  runs.push(tsm('run', '--rm', '--network', 'none', '--image', IMG, `b${i}`, '--', '/bin/true').t);
  nsp.push(ms('systemd-nspawn', ['--register=yes', '--quiet', '-D', ROOTFS, '/bin/true']).t);
}
compare(`run --rm /bin/true x${N}`, runs, nsp);

// 2b. what lxcfs's binds cost a start (issue 19: under 5%): --lxcfs yes vs no in alternating
// pairs, one unmeasured run first. Run 2 above uses the default (auto), so the view when lxcfs runs.
if (existsSync('/var/lib/lxcfs/proc/meminfo')) {
  const view = (mode, name) => tsm('run', '--rm', '--network', 'none', '--lxcfs', mode, '--image', IMG, name, '--', '/bin/true').t;
  view('yes', 'lw');
  const yes = [], no = [];
  for (let i = 0; i < N; i++) {
    if (i % 2) { yes.push(view('yes', `ly${i}`)); no.push(view('no', `ln${i}`)); }
    else { no.push(view('no', `ln${i}`)); yes.push(view('yes', `ly${i}`)); }
  }
  const a = stats(yes), b = stats(no);
  line(`run --rm /bin/true x${N}, with lxcfs's /proc view vs without: ${fmt(a)} | ${fmt(b)} | ${((a.median / b.median - 1) * 100).toFixed(1)}%`);
} else line('lxcfs is not mounted on /var/lib/lxcfs: no proc-view comparison');

// 3. the same with networking: bridge vs nspawn --network-veth
tsm('run', '--rm', '--image', IMG, 'nw', '--', '/bin/true');
ms('systemd-nspawn', ['--register=yes', '--quiet', '--network-veth', '-D', ROOTFS, '/bin/true']);
const runsNet = [], nspNet = [];
for (let i = 0; i < N; i++) {
  runsNet.push(tsm('run', '--rm', '--image', IMG, `n${i}`, '--', '/bin/true').t);
  nspNet.push(ms('systemd-nspawn', ['--register=yes', '--quiet', '--network-veth', '-D', ROOTFS, '/bin/true']).t);
}
compare(`run --rm /bin/true with network (bridge vs --network-veth) x${N}`, runsNet, nspNet);

// 4. start-to-running (detached) and where the time goes (TSMACHINE_TRACE phases)
const starts = [], phases = {};
for (let i = 0; i < N; i++) {
  const r = ms(CLI, ['start', `s${i}`, '--image', IMG, '--network', 'none', '--', 'sleep', '1000'], { ...process.env, TSMACHINE_TRACE: '1' });
  starts.push(r.t);
  for (const m of r.stderr.matchAll(/trace: (\S+) ([\d.]+) ms/g)) (phases[m[1]] ??= []).push(Number(m[2]));
  // the command's last moment (same monotonic clock) to its reaping here: the process's exit
  const clock = /^trace-clock: (\d+)$/m.exec(r.stderr);
  if (clock) (phases.exit ??= []).push(Number(r.end - BigInt(clock[1])) / 1e6);
}
line(`start (detached, returns when the payload runs) x${N}: ${fmt(stats(starts))}`);
line(`start phases (median ms): ${Object.entries(phases).map(([k, v]) => `${k} ${stats(v).median.toFixed(1)}`).join(', ')}`);

// 5. resident memory per running container, outside the payload
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const pidsOf = (comm) => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm; } catch { return false; }
}).map(Number);
const monitors = pidsOf('tsm-monitor');
const ours = monitors.reduce((a, p) => a + rss(p), 0) / Math.max(1, monitors.length);
// nspawn locks its -D tree, so one supervisor at a time on this rootfs.
const nsp1 = spawn('systemd-nspawn', ['--register=yes', '--quiet', '-M', 'nsbench', '-D', ROOTFS, 'sleep', '1000'], { stdio: 'ignore' });
let theirs = 0;
for (let i = 0; i < 100 && theirs === 0; i++) {
  await new Promise((r) => setTimeout(r, 100));
  if (spawnSync('machinectl', ['show', 'nsbench'], { stdio: 'ignore' }).status === 0) theirs = rss(nsp1.pid);
}
line(`resident memory per container outside the payload: tsmachine (tsm-monitor, ${monitors.length} running) ${ours.toFixed(0)} kB | systemd-nspawn supervisor ${theirs.toFixed(0)} kB | ratio ${theirs ? (ours / theirs).toFixed(3) : 'n/a'}`);
nsp1.kill('SIGKILL');
spawnSync('machinectl', ['terminate', 'nsbench'], { stdio: 'ignore' });
for (let i = 0; i < N; i++) tsm('rm', '--force', `s${i}`);
rmSync(ROOTFS, { recursive: true, force: true });
// 6. the OCI runtime against crun and runc
const ociBench = spawnSync(process.execPath, [join(ROOT, 'bench/oci.mjs')], { stdio: 'inherit' });
if (ociBench.status !== 0) line(`oci bench failed (exit ${ociBench.status})`);
// 6b. podman and containerd on tsmachine-oci, crun and runc
const engBench = spawnSync(process.execPath, [join(ROOT, 'bench/engines.mjs')], { stdio: 'inherit' });
if (engBench.status !== 0) line(`engines bench failed (exit ${engBench.status})`);
// 7. images: import throughput against umoci/skopeo, start latency on 5 layers vs 1
const img = spawnSync(process.execPath, [join(ROOT, 'bench/images.mjs')], { stdio: 'inherit' });
if (img.status !== 0) line(`images bench failed (exit ${img.status})`);
if (!existsSync(ROOTFS)) line('done');
