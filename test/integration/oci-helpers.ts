/**
 * OCI bundles and runtime invocations for the tsmachine-oci suites, run the
 * same way against crun (the reference: a case crun fails is a wrong case).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from './helpers.js';

export const TSMACHINE_OCI = fileURLToPath(new URL('../../../bin/tsmachine-oci', import.meta.url));
const ROOTFS = fileURLToPath(new URL('../../../build/images/httpd/rootfs', import.meta.url));

export interface Runtime {
  name: 'tsmachine-oci' | 'crun' | 'runc';
  bin: string;
  /** Its own state directory, so runs never meet. */
  root: string;
}

export const RUNTIMES: Runtime[] = [
  { name: 'tsmachine-oci', bin: TSMACHINE_OCI, root: '/run/tsmachine-oci-test' },
  { name: 'crun', bin: '/usr/bin/crun', root: '/run/crun-test' },
];

/**
 * The runtime's command line with --root and --systemd-cgroup, as conmon
 * gives them. `create` (and `exec --detach`) hand stdout and stderr to the container's init,
 * which keeps them open: they go to a file (stdoutFile, or a temporary one
 * read back into stdout/stderr), never to a pipe whose end would wait for
 * the container.
 */
export function oci(
  rt: Runtime,
  args: string[],
  opts: { stdoutFile?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // exec --detach too: its process keeps them.
    const holds = args.includes('create') || (args.includes('exec') && (args.includes('--detach') || args.includes('-d')));
    const toFile = opts.stdoutFile ?? (holds ? join(mkdtempSync('/tmp/oci-out-'), 'out') : undefined);
    const outFd = toFile !== undefined ? openSync(toFile, 'a') : null;
    const child = spawn(rt.bin, ['--root', rt.root, '--systemd-cgroup', ...args], {
      stdio: ['pipe', outFd ?? 'pipe', outFd ?? 'pipe'],
      env: opts.env ?? process.env,
    });
    if (outFd !== null) closeSync(outFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on(toFile !== undefined ? 'exit' : 'close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (toFile !== undefined && opts.stdoutFile === undefined) {
        stderr = readIf(toFile) ?? '';
        rmSync(dirname(toFile), { recursive: true, force: true });
      }
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/** `runc spec`'s example configuration, root-ful, for a busybox rootfs. */
export function baseConfig(id: string, args: string[]): Record<string, any> {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'oci-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      cgroupsPath: `machine.slice:ocitest:${id}`,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface Bundle {
  dir: string;
  /** A host directory bound at /out in the container (read-write). */
  out: string;
  config: Record<string, any>;
  write(): void;
  remove(): void;
}

/** A bundle with its own copy of the busybox rootfs and a writable /out. */
export function makeBundle(id: string, args: string[], edit?: (c: Record<string, any>) => void): Bundle {
  const dir = mkdtempSync('/tmp/oci-bundle-');
  chmodSync(dir, 0o755); // a user namespace's root must reach the rootfs
  execFileSync('cp', ['-a', ROOTFS, join(dir, 'rootfs')]);
  const out = join(dir, 'out');
  execFileSync('mkdir', ['-p', out, join(dir, 'rootfs', 'out')]);
  chmodSync(out, 0o777); // payloads run as other users too
  const config = baseConfig(id, args);
  config.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  edit?.(config);
  const b: Bundle = {
    dir, out, config,
    write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  b.write();
  return b;
}

export function readIf(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The runtime's `state` JSON (throws with its stderr when it fails). */
export async function stateOf(rt: Runtime, id: string): Promise<{ status: string; pid?: number; bundle: string; id: string; ociVersion: string; annotations?: Record<string, string> }> {
  const r = await oci(rt, ['state', id]);
  if (r.code !== 0) throw new Error(`${rt.name} state ${id}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The console-socket receiver fixture (conmon's end), built by `npm run build`. */
export const RECEIVER = fileURLToPath(new URL('../fixtures/console-receiver', import.meta.url));

/**
 * A file's bundles: `setup(rt, args)` makes one under a unique ID and
 * registers its `delete --force` and removal, which `cleanAll()` (in the
 * file's after()) runs newest first.
 */
export function bundles(prefix: string): {
  setup(rt: Runtime, args: string[], edit?: (c: Record<string, any>) => void): { id: string; b: Bundle };
  cleanAll(): Promise<void>;
} {
  const undo: Array<() => Promise<unknown>> = [];
  let serial = 0;
  return {
    setup(rt, args, edit) {
      const id = `${prefix}-${rt.name.replace(/[^a-z]/g, '')}-${process.pid}-${serial++}`;
      const b = makeBundle(id, args, edit);
      undo.push(async () => { await oci(rt, ['delete', '--force', id]); b.remove(); });
      return { id, b };
    },
    async cleanAll() {
      for (const c of undo.reverse()) await c().catch(() => undefined);
    },
  };
}
