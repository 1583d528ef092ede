import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { STATE_DIR } from '../paths.js';

/*
 * STATE_DIR (/var/lib/tsmachine) holds the layer store and the containers'
 * upper dirs: images' setuid binaries and device nodes, files a container's
 * root wrote. Open to every host user, an unprivileged one could run such a
 * setuid binary or open such a node on the host (moby CVE-2021-41091). So the
 * root is 0700 whichever command makes it first (an `import` used to make it
 * 0755), and a root an older version left with group or other access is
 * tightened the first time a process of ours touches it: one stat per
 * process. Everything this module creates under it is 0700 as well; layer
 * contents and upper dirs keep their own modes (the container sees them).
 */

const checked = new Set<string>();

/** Makes `root` exist as a directory only its owner can enter; tightens an existing one. Once per process and root. */
export function ensurePrivateRoot(root: string = STATE_DIR): void {
  if (checked.has(root)) return;
  const st = statSync(root, { throwIfNoEntry: false });
  // mkdir's mode passes through the umask, which only takes bits away; the parents it may make get 0700 too.
  if (!st) mkdirSync(root, { recursive: true, mode: 0o700 });
  else if (st.isDirectory() && (st.mode & 0o077) !== 0) chmodSync(root, 0o700);
  checked.add(root);
}

/**
 * mkdir -p of `dir` below `root` (STATE_DIR by default) after ensurePrivateRoot;
 * returns the first directory it created, or undefined when `dir` was there.
 */
export function mkdirPrivate(dir: string, root: string = STATE_DIR, mode = 0o700): string | undefined {
  ensurePrivateRoot(root);
  return mkdirSync(dir, { recursive: true, mode });
}

/** For tests: forget which roots were checked, so the next call stats again. */
export function forgetCheckedRoots(): void {
  checked.clear();
}
