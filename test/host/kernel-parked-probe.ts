import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The driver side of kernel-parked-helper.ts, shared by the host test and the
 * VM's: starts the helper without CAP_SYS_PTRACE and reads /proc files of its
 * stages as a process with the very same capabilities.
 */

const HELPER = fileURLToPath(new URL('./kernel-parked-helper.js', import.meta.url));
/** Drops CAP_SYS_PTRACE and nothing else (setpriv is util-linux). */
const NO_PTRACE = ['--bounding-set', '-sys_ptrace', '--inh-caps', '-sys_ptrace', '--'];

export interface ParkedPids { parkedInit: number; parkedExec: number; execStage: number }

export interface ParkedHelper {
  /** The parked stages (first line of the helper). */
  parked: ParkedPids;
  /** Releases the exec; resolves with the PID of the exec'd `sleep`. */
  release(): Promise<number>;
  /** Lets the helper clean up and waits for it. */
  end(): Promise<number>;
}

export async function startParkedHelper(leader?: number): Promise<ParkedHelper> {
  const child: ChildProcessWithoutNullStreams = spawn('setpriv', [...NO_PTRACE, process.execPath, HELPER, String(leader ?? 'fixture')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextJson = async <T>(): Promise<T> => {
    const r = await lines.next();
    if (r.done) throw new Error(`parked helper ended early (exit ${await exited}): ${stderr}`);
    return JSON.parse(r.value as string) as T;
  };
  const parked = await nextJson<ParkedPids>();
  return {
    parked,
    async release() {
      child.stdin.write('\n');
      return (await nextJson<{ execd: number }>()).execd;
    },
    async end() {
      child.stdin.end('\n');
      return exited;
    },
  };
}

/**
 * The /proc files of a process that its dumpable flag guards against a
 * reader of the same uid and capabilities: its memory (mem: the attach
 * check), and where its links lead (exe: the host's node binary; cwd; fd/0,
 * standing for every fd Node had open). environ, auxv and maps are not
 * among them: some kernels (6.18 here) give them to such a reader anyway.
 */
export const GUARDED = ['mem', 'exe', 'cwd', 'fd/0'] as const;

/**
 * Reads /proc/PID/FILE (a link: where it leads) as a process with our
 * capabilities minus CAP_SYS_PTRACE: {ok, err}. Allowed unless the target
 * is not dumpable.
 */
export function readAsPeer(pid: number, file: string): { ok: boolean; err: string } {
  const path = `/proc/${pid}/${file}`;
  const cmd = file === 'mem' ? ['head', '-c', '0', path] : ['readlink', '-v', path];
  const r = spawnSync('setpriv', [...NO_PTRACE, ...cmd], { encoding: 'utf8' });
  return { ok: r.status === 0, err: r.stderr.trim() };
}
