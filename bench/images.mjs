#!/usr/bin/env node
// Image store benchmark, run as root on a systemd host (the test VM:
// `node vm/run.mjs -- node bench/images.mjs` after `npm run build`).
// Needs umoci and skopeo. Peers are measured in the same run on the same image:
//   (a) import throughput of a multi-layer OCI image: `tsmachine import` (the
//       whole CLI) vs `umoci unpack` vs `skopeo copy oci: → docker-archive:`;
//   (b) start latency, `tsmachine run --rm --network none --image X n -- /bin/true`,
//       on a 5-layer image vs a 1-layer image of the same busybox rootfs.
// Prints `bench: ...` lines. It removes the images it imported and prunes
// the store at the end (prune frees every layer no image or container uses).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin/tsmachine.cjs');
const BUSYBOX = join(ROOT, 'build/images/httpd/rootfs');
const N = Number(process.env.BENCH_IMAGE_RUNS ?? 10);
const PREFIX = 'benchimg';

const line = (s) => console.log(`bench: ${s}`);

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}
function seconds(cmd, args) {
  const t0 = process.hrtime.bigint();
  sh(cmd, args);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
const tsm = (...a) => sh(CLI, a);
const tsmS = (...a) => seconds(CLI, a);
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  // median: the upper middle for an even count (as in every earlier run); p95: nearest rank (of 10, the 10th)
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.max(0, Math.ceil(0.95 * s.length) - 1)] };
};
function bytesIn(dir) {
  return Number(sh('du', ['-sb', dir]).split('\t')[0]);
}
/** Cold caches for each import/unpack, so no tool profits from the one before it. */
function dropCaches() {
  spawnSync('sync');
  try { writeFileSync('/proc/sys/vm/drop_caches', '3\n'); } catch { /* not root or no procfs: warm numbers then */ }
}

if (process.getuid?.() !== 0) { console.error('bench/images.mjs: must run as root'); process.exit(2); }
for (const t of ['umoci', 'skopeo']) {
  if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) { console.error(`bench/images.mjs: needs ${t}`); process.exit(2); }
}
if (!existsSync(BUSYBOX)) { console.error(`bench/images.mjs: no ${BUSYBOX} (npm run build)`); process.exit(2); }

// Off virtiofs: the fixture is read from local disk by every tool alike.
const dir = mkdtempSync('/var/tmp/tsm-bench-images-');
const oci = join(dir, 'oci');
const imported = [];
try {
  // ---- fixtures (not timed) ----
  sh('umoci', ['init', '--layout', oci]);
  sh('umoci', ['new', '--image', `${oci}:one`]);
  sh('umoci', ['insert', '--no-history', '--image', `${oci}:one`, BUSYBOX, '/']);
  sh('umoci', ['config', '--image', `${oci}:one`, '--config.cmd', '/bin/true']);
  // five: the same busybox layer + 4 tiny layers, so only the layer count differs
  sh('umoci', ['tag', '--image', `${oci}:one`, 'five']);
  for (let i = 1; i <= 4; i++) {
    const d = join(dir, `tiny${i}`);
    mkdirSync(d);
    writeFileSync(join(d, `f${i}`), `${i}\n`);
    sh('umoci', ['insert', '--no-history', '--image', `${oci}:five`, d, `/etc/tiny${i}`]);
  }
  // multi: busybox + the project's largest dependency trees (real files: JS, .node binaries, docs)
  sh('umoci', ['tag', '--image', `${oci}:one`, 'multi']);
  const nm = join(ROOT, 'node_modules');
  const parts = ['typescript', 'koffi', '@esbuild', '@types'].map((n) => join(nm, n)).filter((p) => existsSync(p));
  for (const [i, p] of parts.entries()) sh('umoci', ['insert', '--no-history', '--image', `${oci}:multi`, p, `/opt/l${i}`]);
  const multiLayers = 1 + parts.length;
  const blobBytes = bytesIn(join(oci, 'blobs'));

  // ---- (a) import throughput ----
  dropCaches();
  const tImport = tsmS('import', '--name', `${PREFIX}-multi`, `${oci}:multi`);
  imported.push(`${PREFIX}-multi`);
  const rec = JSON.parse(tsm('image', 'inspect', `${PREFIX}-multi`));
  const mb = rec.size / 1e6;
  dropCaches();
  const tUmoci = seconds('umoci', ['unpack', '--image', `${oci}:multi`, join(dir, 'bundle')]);
  const unpackedBytes = bytesIn(join(dir, 'bundle', 'rootfs'));
  dropCaches();
  const tSkopeo = seconds('skopeo', ['copy', '-q', `oci:${oci}:multi`, `docker-archive:${join(dir, 'multi.docker.tar')}:multi:latest`]);
  dropCaches();
  const tReuse = tsmS('import', '--name', `${PREFIX}-multi-docker`, join(dir, 'multi.docker.tar'));
  imported.push(`${PREFIX}-multi-docker`);
  const rate = (t) => `${t.toFixed(2)} s (${(mb / t).toFixed(0)} MB/s)`;
  line(`image import: ${multiLayers} layers, ${(blobBytes / 1e6).toFixed(1)} MB gzip blobs, ${mb.toFixed(1)} MB unpacked ` +
    `(umoci's rootfs: ${(unpackedBytes / 1e6).toFixed(1)} MB); cold page cache for each`);
  line(`image import: tsmachine import (CLI, OCI layout) ${rate(tImport)} | umoci unpack ${rate(tUmoci)} | ` +
    `skopeo copy oci: -> docker-archive: ${rate(tSkopeo)} | ratio tsmachine/umoci ${(tImport / tUmoci).toFixed(2)}`);
  line(`image import: the same image again as a docker-archive (all ${multiLayers} layers already stored) ${tReuse.toFixed(2)} s`);

  // ---- (b) start latency vs layer count ----
  tsm('import', '--name', `${PREFIX}-one`, `${oci}:one`);
  imported.push(`${PREFIX}-one`);
  tsm('import', '--name', `${PREFIX}-five`, `${oci}:five`);
  imported.push(`${PREFIX}-five`);
  const layersOf = (n) => JSON.parse(tsm('image', 'inspect', n)).layers.length;
  const lat = { one: [], five: [] };
  tsm('run', '--rm', '--network', 'none', '--image', `${PREFIX}-one`, 'bi-warm', '--', '/bin/true');
  for (let i = 0; i < N; i++) {
    // interleaved, so drift (journal, page cache) hits both alike
    for (const k of ['five', 'one']) lat[k].push(tsmS('run', '--rm', '--network', 'none', '--image', `${PREFIX}-${k}`, `bi-${k}-${i}`, '--', '/bin/true') * 1000);
  }
  const a = stats(lat.five), b = stats(lat.one);
  line(`run --rm --network none /bin/true x${N}: ${layersOf(`${PREFIX}-five`)}-layer image median ${a.median.toFixed(0)} ms, p95 ${a.p95.toFixed(0)} ms | ` +
    `${layersOf(`${PREFIX}-one`)}-layer image median ${b.median.toFixed(0)} ms, p95 ${b.p95.toFixed(0)} ms | ratio ${(a.median / b.median).toFixed(2)}`);
} finally {
  for (const n of imported) spawnSync(CLI, ['rmi', n], { stdio: 'ignore' });
  spawnSync(CLI, ['image', 'prune'], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
