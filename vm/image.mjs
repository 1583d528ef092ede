// The test guest image, built once per set of inputs and cached.
//
// The cache key hashes everything the image is made of: the build script,
// the guest files, the package list, the node binary's version and the
// kernel version the archive offers now. Any change gives a new key, hence a
// fresh build; an unchanged key boots the cached image. A build goes into a
// temporary directory that is renamed into place only when complete, so an
// interrupted build never leaves a half image behind.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = process.env.TSM_VM_CACHE ?? '/var/cache/tsmachine-vm';

/** The files the image is built from, in a stable order. */
function inputFiles() {
  const guest = readdirSync(join(HERE, 'guest')).sort().map((f) => join(HERE, 'guest', f));
  return [join(HERE, 'build-image.sh'), join(HERE, 'packages.txt'), ...guest];
}

/** The version of the cloud kernel the archive would install now ('' if apt knows none). */
function kernelCandidate() {
  try {
    const out = execFileSync('apt-cache', ['policy', 'linux-image-cloud-amd64'], { encoding: 'utf8' });
    return /Candidate:\s*(\S+)/.exec(out)?.[1] ?? '';
  } catch {
    return '';
  }
}

export function imageKey(nodeBinary = process.execPath) {
  const hash = createHash('sha256');
  for (const file of inputFiles()) hash.update(`${relative(HERE, file)}\0`).update(readFileSync(file)).update('\0');
  const nodeVersion = execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim();
  hash.update(`node ${nodeVersion}\0kernel ${kernelCandidate()}\0`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Return the directory of a bootable image (root.img, vmlinuz), building it
 * if needed. `log` receives one-line progress messages.
 * @returns {Promise<{ dir: string, built: boolean }>}
 */
export async function ensureImage({ nodeBinary = process.execPath, log = console.log } = {}) {
  const key = imageKey(nodeBinary);
  const dir = join(CACHE_DIR, key);
  if (existsSync(join(dir, 'root.img'))) return { dir, built: false };

  mkdirSync(CACHE_DIR, { recursive: true });
  removeAbandonedBuilds(log);
  const tmp = join(CACHE_DIR, `.build-${key}-${process.pid}`);
  const logFile = join(CACHE_DIR, `build-${key}.log`);
  rmSync(tmp, { recursive: true, force: true });
  log(`building guest image ${key} (log: ${logFile})`);
  const rc = await runLogged(join(HERE, 'build-image.sh'), [tmp, nodeBinary], logFile);
  if (rc !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`guest image build failed (exit ${rc}); last lines of ${logFile}:\n${tail}`);
  }
  try {
    renameSync(tmp, dir);
  } catch (err) {
    // another run built the same key meanwhile: theirs is as good as ours
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'root.img'))) throw err;
  }
  pruneOldImages(key, log);
  return { dir, built: true };
}

/** Run a command with its output going to a file only; resolve to its exit status. */
function runLogged(cmd, args, logFile) {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile);
    out.on('open', () => {
      const child = spawn(cmd, args, { stdio: ['ignore', out, out] });
      child.on('error', reject);
      child.on('close', (code, signal) => { out.end(); resolve(code ?? (signal ? 128 : 1)); });
    });
  });
}

/**
 * Images are ~1 GB each. Remove those of other keys built over a day ago
 * (a recent one may belong to another checkout on this machine).
 */
function pruneOldImages(keep, log) {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(CACHE_DIR)) {
    if (name === keep || !/^[0-9a-f]{16}$/.test(name)) continue;
    if (statSync(join(CACHE_DIR, name)).mtimeMs > dayAgo) continue;
    rmSync(join(CACHE_DIR, name), { recursive: true, force: true });
    rmSync(join(CACHE_DIR, `build-${name}.log`), { force: true });
    log(`removed old guest image ${name}`);
  }
}

/**
 * A build whose process is gone (Ctrl-C, a crash) leaves its temp dir. Never
 * delete one that still has mounts in it (mmdebstrap mounts /proc and /sys
 * in the chroot): rm -r would walk into them.
 */
function removeAbandonedBuilds(log) {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const name of readdirSync(CACHE_DIR)) {
    const pid = Number(/^\.build-[0-9a-f]{16}-(\d+)$/.exec(name)?.[1]);
    if (!pid || isAlive(pid)) continue;
    const dir = join(CACHE_DIR, name);
    if (mountinfo.includes(` ${dir}/`)) {
      log(`leaving ${dir}: something is still mounted in it`);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}
