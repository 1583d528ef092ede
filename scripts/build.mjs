#!/usr/bin/env node
// Builds everything a checkout needs to run and test tsmachine:
//   build/            tsc output of src/ and test/ (tests run from here)
//   dist/tsmachine.cjs   the CLI as one esbuild bundle (fewer files to load: faster start),
//                        run by bin/tsmachine.cjs with a V8 code cache
//   native/build/     libtsmachine.so and tsm-monitor (make -C native)
//   build/images/httpd   the built-in image, made from Debian's busybox-static
//   build/test/fixtures/seccomp-probe   static, for the integration tests
// Plain Node (18+) with no dependencies beyond the project's devDependencies.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync, renameSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = new Set(process.argv.slice(2));
const want = (step) => only.size === 0 || only.has(step);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) { console.error(`build: ${cmd} ${args.join(' ')} failed (exit ${r.status})`); process.exit(1); }
}

function timed(label, fn) {
  const t0 = performance.now();
  fn();
  console.log(`build: ${label} (${Math.round(performance.now() - t0)} ms)`);
}

// tsc never deletes output: a removed test would keep running from build/test.
if (want('tsc')) rmSync(join(ROOT, 'build/src'), { recursive: true, force: true }), rmSync(join(ROOT, 'build/test'), { recursive: true, force: true });
if (want('tsc')) timed('tsc → build/', () => run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']));

// Two commands, one bundle each: tsmachine, and tsmachine-oci (the OCI
// runtime), which must not pay for loading tsmachine's verbs at every start.
const BUNDLES = [['src/cli/main.ts', 'tsmachine'], ['src/cli/oci/main.ts', 'tsmachine-oci']];
if (want('bundle')) for (const [entry, name] of BUNDLES) timed(`esbuild → dist/${name}.cjs`, () => {
  rmSync(join(ROOT, 'dist/tsmachine.mjs'), { force: true }); // the ES module bundle of earlier builds
  run(join(ROOT, 'node_modules/.bin/esbuild'), [
    // CommonJS, so bin/tsmachine.cjs can run it with a V8 code cache (Node
    // 18/20 cache scripts only). No dynamic import() left in it: a vm.Script
    // has no loader for one, so esbuild turns them into require().
    entry, '--bundle', '--platform=node', '--format=cjs', '--target=node18', '--supported:dynamic-import=false',
    // TSM_BUNDLE: src/builtins.ts takes plain require (no node:module) and
    // src/paths.ts __dirname (no node:url): both folded away at build time.
    // Whatever still reads import.meta.url in the bundle fails the build below.
    '--define:TSM_BUNDLE=true', '--define:import.meta.url=__tsm_import_meta_url_in_bundle',
    // Minified: V8 pre-parses every function of the file on load, and
    // unminified that took three times as long.
    // keep-names: error classes report their own name.
    `--outfile=dist/${name}.cjs`, '--log-level=warning', '--legal-comments=none',
    '--minify', '--keep-names',
  ]);
  const out = join(ROOT, `dist/${name}.cjs`);
  const code = readFileSync(out, 'utf8');
  if (code.includes('__tsm_import_meta_url_in_bundle')) {
    console.error('build: the bundle reads import.meta.url, which a CommonJS bundle lacks: fold it away under TSM_BUNDLE');
    process.exit(1);
  }
  // The stamp bin/tsmachine.cjs keys its V8 code cache by: no stat of the file at each start.
  writeFileSync(out, `// tsmachine-bundle ${createHash('sha256').update(code).digest('hex').slice(0, 16)}\n${code}`);
});

if (want('native') && existsSync(join(ROOT, 'native/Makefile'))) timed('make -C native', () => run('make', ['-s', '-C', 'native']));

if (want('image')) timed('built-in image httpd', buildHttpdImage);

// The seccomp probe, static, for the integration tests: the test VM has no
// compiler (the host unit tests build their own copy).
if (want('fixtures')) timed('test fixture seccomp-probe', () => {
  const out = join(ROOT, 'build/test/fixtures/seccomp-probe');
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync('gcc', ['-static', '-O2', '-o', out, join(ROOT, 'test/fixtures/seccomp-probe.c')], { stdio: 'inherit' });
  if (r.status !== 0) console.error('build: no static seccomp probe (gcc with a static libc); test/integration/security-defaults will fail');
});
// The --console-socket receiver (conmon's end of it), for test/integration/oci-*.
if (want('fixtures')) timed('test fixture console-receiver', () => {
  const out = join(ROOT, 'build/test/fixtures/console-receiver');
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync('gcc', ['-static', '-O2', '-o', out, join(ROOT, 'test/fixtures/console-receiver.c')], { stdio: 'inherit' });
  if (r.status !== 0) console.error('build: no static console-receiver (gcc with a static libc); test/integration/oci-lifecycle will fail');
});

/** True when the ELF file has no PT_INTERP header, i.e. runs without a dynamic loader. */
function isStaticElf(path) {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // ELF64 only
    const phoff = Number(h.readBigUInt64LE(0x20)), phentsize = h.readUInt16LE(0x36), phnum = h.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } finally { closeSync(fd); }
}

// The httpd image is a directory tree: busybox, one symlink per applet, a page,
// and the few /etc files programs expect. Built into a temp dir, then renamed,
// so an interrupted build never leaves half an image.
function buildHttpdImage() {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && isStaticElf(p));
  if (!busybox) {
    console.error('build: the built-in httpd image needs a static busybox: apt-get install busybox-static');
    process.exit(1);
  }
  const images = join(ROOT, 'build/images');
  const final = join(images, 'httpd'), tmp = join(images, '.httpd.tmp');
  rmSync(tmp, { recursive: true, force: true });
  const rootfs = join(tmp, 'rootfs');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'www', 'proc', 'sys', 'dev', 'run', 'tmp', 'var/log', 'root', 'home'])
    mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  const applets = spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(join(rootfs, 'www/index.html'), '<!doctype html>\n<title>tsmachine</title>\n<h1>Hello from a tsmachine container</h1>\n');
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(rootfs, 'etc/os-release'), 'NAME="tsmachine httpd"\nID=tsmachine-httpd\nPRETTY_NAME="tsmachine built-in httpd image (busybox)"\n');
  writeFileSync(join(tmp, 'image.json'), JSON.stringify({
    name: 'httpd',
    created: new Date(0).toISOString(),
    config: {
      entrypoint: [],
      cmd: ['/bin/busybox', 'httpd', '-f', '-v', '-p', '80', '-h', '/www'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      workingDir: '/',
      exposedPorts: ['80/tcp'],
    },
  }, null, 2) + '\n');
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
}
