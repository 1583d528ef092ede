#!/usr/bin/env node
// The engines on top of the runtimes (issue 18), run by bench/guest.mjs in the
// test VM: `podman run --rm --network none true` and `ctr run --rm true`
// with tsmachine-oci, crun and runc under the same engine, interleaved, then
// what a running container costs in its cgroup (memory.current; conmon and
// containerd's shim are outside it, and none of the runtimes stays running).
// Goal: ahead of runc, within 1.5x of crun, on the same engine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const N = Number(process.env.BENCH_RUNS ?? 20);
const IMAGE = 'localhost/tsmbench-bb:t';
const line = (s) => console.log(`bench: ${s}`);
// bin/tsmachine-oci: the native front end engines call (start, kill and a
// stopped container's delete without Node; the rest through its Node program).
const RUNTIMES = [
  ['tsmachine-oci', join(ROOT, 'bin/tsmachine-oci')],
  ['crun', '/usr/bin/crun'],
  ['runc', '/usr/bin/runc'],
].filter(([, bin]) => existsSync(bin));

function must(cmd, args, what) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what ?? `${cmd} ${args.join(' ')}`}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}
function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  must(cmd, args);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.max(0, Math.ceil(0.95 * s.length) - 1)] };
};
function report(what, run) {
  const times = Object.fromEntries(RUNTIMES.map(([n]) => [n, []]));
  for (const [n, bin] of RUNTIMES) run(n, bin, 'warm'); // page cache, V8 code cache, the engine's own first start
  for (let i = 0; i < N; i++) for (const [n, bin] of RUNTIMES) times[n].push(run(n, bin, i));
  const med = Object.fromEntries(RUNTIMES.map(([n]) => [n, stats(times[n])]));
  line(`${what} x${N}: ${RUNTIMES.map(([n]) => `${n} median ${med[n].median.toFixed(0)} ms, p95 ${med[n].p95.toFixed(0)} ms`).join(' | ')}`);
  for (const peer of ['crun', 'runc']) if (med[peer]) line(`${what} ratio tsmachine-oci/${peer}: ${(med['tsmachine-oci'].median / med[peer].median).toFixed(2)}`);
}

// The image, made here: the guest has no network.
spawnSync('podman', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
must('sh', ['-c', `tar -C '${join(ROOT, 'build/images/httpd/rootfs')}' -c . | podman import - ${IMAGE}`], 'podman import');

report('podman run --rm --network none true', (n, bin) =>
  timed('podman', ['--runtime', bin, 'run', '--rm', '--pull=never', '--network', 'none', IMAGE, 'true']));

// What a running container holds in its scope (the payload, sleep, is the same for all).
const parts = [];
for (const [n, bin] of RUNTIMES) {
  const id = must('podman', ['--runtime', bin, 'run', '-d', '--pull=never', '--network', 'none', IMAGE, 'sleep', '1000']).trim();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  const current = Number(readFileSync(`/sys/fs/cgroup/machine.slice/libpod-${id}.scope/memory.current`, 'utf8')) / 1024;
  parts.push(`${n} ${current.toFixed(0)} kB`);
  must('podman', ['rm', '-f', '-t', '0', id]);
}
line(`podman: memory.current of a running container's scope (sleep; conmon outside): ${parts.join(' | ')}`);

must('systemctl', ['start', 'containerd']);
const archive = '/tmp/tsmbench-bb.tar';
rmSync(archive, { force: true });
must('podman', ['save', '--format', 'docker-archive', '-o', archive, IMAGE]);
must('ctr', ['image', 'import', archive]);
rmSync(archive, { force: true });
// The shim with systemd cgroups: tsmachine-oci refuses containerd's cgroupfs paths.
report('ctr run --rm --runc-systemd-cgroup true', (n, bin, i) => {
  const id = `bench-${n.replace(/[^a-z]/g, '')}-${i}`;
  return timed('ctr', ['run', '--rm', '--runc-binary', bin, '--runc-systemd-cgroup', '--cgroup', `machine.slice:ctrbench:${id}`, IMAGE, id, 'true']);
});
spawnSync('ctr', ['image', 'rm', IMAGE], { stdio: 'ignore' });
spawnSync('podman', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
