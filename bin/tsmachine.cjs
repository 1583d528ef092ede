#!/usr/bin/env -S node --jitless --no-expose-wasm --preserve-symlinks-main
'use strict';
/*
 * The tsmachine command: loads the CLI bundle (dist/tsmachine.cjs, made by
 * `npm run build`) with a V8 code cache.
 *
 * Why: Node itself starts in ~0.4 s in the test VM, and compiling the bundle
 * took as long again on every command. With the bytecode V8 kept from an
 * earlier run, a start skips most parsing and compiling (docs/decisions.md
 * has the measurement). CommonJS because Node 18/20 can
 * only cache scripts, not ES modules (module.enableCompileCache is Node 22).
 *
 * The cache lives in /var/cache/tsmachine/v8/, keyed by the bundle (the hash
 * its build stamped on it) and this Node (version, arch, flags); V8 itself rejects data
 * from another V8 or other flags. It is written at exit, only by root, when there
 * was none or V8 rejected it, and once more after the first command that ran
 * the runtime (start, run, exec...) and succeeded: those compile far more
 * than `list`.
 * Anything wrong with it (unwritable, corrupt, a race) just means no cache.
 *
 * --jitless (first line; packaging's /usr/bin/tsmachine passes it too): a
 * command lives well under a second and gains nothing from compiled machine
 * code, while making it costs: V8 compiles hot functions and flips code
 * pages writable/executable, which an emulated CPU pays for dearly (every
 * write to code invalidates translated blocks). A/B in the test VM, `run
 * --rm` with and without it: -6%, -4%, -6%. Nothing here uses WebAssembly,
 * the one thing it disables (--no-expose-wasm says so up front; without it
 * V8 warns on every start). V8 keeps the code cache per flags itself.
 *
 * --preserve-symlinks-main: Node otherwise resolves this file's real path
 * before running it, a JavaScript realpath (an lstat per path component,
 * and its first-use compile), paid by every start. Reached
 * through a symlink (npm's .bin), __dirname is then the link's directory,
 * so the bundle is looked for beside the real file when not found here.
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
// Not node:module (Module.wrap, createRequire): loading it is a cost of its
// own on every start. The bundle requires only built-ins, which this file's own
// require resolves alike, and the wrapper is Module.wrap's, byte for byte.
const wrap = (code) => `(function (exports, require, module, __filename, __dirname) { ${code}\n});`;

// One launcher, two commands: bin/tsmachine-oci.cjs is a symlink to this file
// (and a copy in the packages); --preserve-symlinks-main keeps its name here.
const NAME = path.basename(__filename).replace(/\.cjs$/, '') === 'tsmachine-oci' ? 'tsmachine-oci' : 'tsmachine';
let bundle = path.join(__dirname, '..', 'dist', `${NAME}.cjs`);
const CACHE_DIR = process.env.TSMACHINE_V8_CACHE_DIR || '/var/cache/tsmachine/v8';
// Verbs that only print stored state compile little; the others load the runtime.
const LIGHT = new Set([undefined, '--help', '-h', 'help', '--version', 'list', 'ps', 'status', 'inspect', 'images', 'config', 'logs']);

let source;
try {
  try {
    source = fs.readFileSync(bundle, 'utf8');
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    bundle = path.join(path.dirname(fs.realpathSync(__filename)), '..', 'dist', `${NAME}.cjs`);
    source = fs.readFileSync(bundle, 'utf8');
  }
} catch (e) {
  process.stderr.write(`${NAME}: cannot load ${bundle} (run 'npm run build'): ${e.message}\n`);
  process.exit(125);
}

// The build stamps the bundle's first line with a hash of its content
// (scripts/build.mjs): the cache's key, with no stat of the file (fs.statSync's
// first use is compiled JavaScript too). An unstamped bundle runs without a cache.
// Node's flags too: V8 rejects a cache made under other flags, and runs with
// and without --jitless (`node bin/tsmachine.cjs` by hand) would otherwise
// overwrite each other's cache on every command.
const stamp = /^\/\/ tsmachine-bundle ([0-9a-f]{16})\n/.exec(source.slice(0, 64));
const flags = process.execArgv.join('').replace(/[^A-Za-z0-9=.]/g, '');
const base = stamp ? `${NAME}-${process.version}-${process.arch}-${stamp[1]}` : null;
const key = flags ? `${base}-${flags}` : base;
const kind = LIGHT.has(process.argv[2]) ? 'light' : 'full';
const cacheFile = (k) => path.join(CACHE_DIR, `${key}.${k}`);

let cached;
let cachedKind = null;
for (const k of base ? ['full', 'light'] : []) {
  try {
    cached = fs.readFileSync(cacheFile(k));
    cachedKind = k;
    break;
  } catch { /* none of this kind */ }
}

const script = new vm.Script(wrap(source), { filename: bundle, ...(cached ? { cachedData: cached } : {}) });
const rejected = cached !== undefined && script.cachedDataRejected === true;
if (process.env.TSMACHINE_TRACE === '1') {
  // write(2), as the CLI prints: process.stderr on a pipe would load Node's net stack into the run it traces
  fs.writeSync(2, `trace: code-cache ${cachedKind === null ? 'none' : `${cachedKind} ${rejected ? 'rejected' : 'accepted'}`}\n`);
}
if (base && process.getuid && process.getuid() === 0 && (cachedKind === null || rejected || (kind === 'full' && cachedKind === 'light'))) {
  // A runtime verb that failed early (a usage error) compiled no more than `list`.
  process.once('exit', (code) => {
    const ran = kind === 'full' && code === 0 ? 'full' : 'light';
    if (cachedKind === null || rejected || ran === 'full') writeCache(ran);
  });
}

const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, require, mod, bundle, path.dirname(bundle));

function writeCache(k) {
  try {
    const data = script.createCachedData();
    fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o755 });
    const tmp = `${cacheFile(k)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o644 });
    fs.renameSync(tmp, cacheFile(k));
    // Caches of this command's older bundles are dead weight now (those of
    // this bundle under other flags or another Node are not, nor the other
    // command's; keys before the name was in them began with Node's version).
    // Two Nodes can take turns on one bundle: podman's cleanup process found
    // Debian's /usr/bin/node where conmon had found /usr/local/bin's, and each
    // deleted the other's cache, so every create and delete compiled anew.
    for (const f of fs.readdirSync(CACHE_DIR)) {
      const mine = f.startsWith(`${NAME}-v`) || f.startsWith('v');
      if (mine && !f.includes(`-${stamp[1]}`)) fs.rmSync(path.join(CACHE_DIR, f), { force: true });
    }
    if (k === 'full') fs.rmSync(cacheFile('light'), { force: true });
  } catch { /* no cache this time */ }
}
