import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where tsmachine's own files live. The same relative layout is used in a
 * checkout (after `npm run build`) and in the packages (/usr/lib/tsmachine):
 *   ROOT/dist/tsmachine.cjs        the bundled CLI (bin/tsmachine.cjs runs it)
 *   ROOT/native/build/             tsmachine.node, tsm-monitor
 *   ROOT/build/images/             built-in images (httpd)
 * TSMACHINE_ROOT overrides the search (tests, packaging).
 */
declare const TSM_BUNDLE: boolean | undefined;

function findRoot(): string {
  const fromEnv = process.env.TSMACHINE_ROOT;
  if (fromEnv) return fromEnv;
  // The bundle is ROOT/dist/tsmachine.cjs and bin/tsmachine.cjs hands it its
  // directory as __dirname: nothing to probe, and no file URL to convert
  // (node:url's pathToFileURL and fileURLToPath are compiled on first use,
  // on every start). The ES modules tsc makes search as below.
  if (typeof TSM_BUNDLE !== 'undefined' && TSM_BUNDLE) return dirname(__dirname);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'native', 'build')) || existsSync(join(dir, 'native', 'Makefile'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '/usr/lib/tsmachine';
}

export const ROOT = findRoot();
export const NATIVE_DIR = join(ROOT, 'native', 'build');
/** The Node-API binding of native/ (src/kernel/addon.ts loads it). */
export const NATIVE_ADDON = join(NATIVE_DIR, 'tsmachine.node');
export const MONITOR_BIN = join(NATIVE_DIR, 'tsm-monitor');
export const BUILTIN_IMAGES = join(ROOT, 'build', 'images');

/** Persistent state: one directory per container (spec, upper and work dirs). */
export const STATE_DIR = process.env.TSMACHINE_STATE_DIR ?? '/var/lib/tsmachine';
/** Runtime state: gone after reboot (exit status, locks). */
export const RUN_DIR = process.env.TSMACHINE_RUN_DIR ?? '/run/tsmachine';
/** nspawn's image directory; its directories run as images too. */
export const MACHINES_DIR = process.env.TSMACHINE_MACHINES_DIR ?? '/var/lib/machines';
/** Where lxcfs.service mounts its FUSE file system (runtime/proc-view.ts). */
export const LXCFS_DIR = process.env.TSMACHINE_LXCFS_DIR ?? '/var/lib/lxcfs';
/** Settings files, highest precedence first (as systemd-nspawn's .nspawn search). */
export const SETTINGS_DIRS = ['/etc/tsmachine', '/run/tsmachine'];
