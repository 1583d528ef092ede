import { closeSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../basic/atomic-file.js';
import { KernelError } from '../../kernel/errors.js';
import { ociExec } from '../../kernel/oci.js';
import { unixConnect } from '../../kernel/socket.js';
import type { OciProcessPlan, OciSeccompProgram } from '../../kernel/oci-types.js';
import { planExecProcess } from '../../oci/index.js';
import { readTextIfPresent } from '../../quiet-fs.js';
import { OciRuntimeError } from './errors.js';
import { statusOf } from './status.js';
import type { OciStore } from './store.js';
import { OciSystemd } from './systemd.js';

export interface ExecOptions {
  id: string;
  /** --process FILE: a runtime-spec process object. */
  processFile?: string;
  /** The `exec ID CMD...` form: the container's own process with these changes. */
  args?: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  tty?: boolean;
  noNewPrivs?: boolean;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
}

function execProcess(o: ExecOptions, base: OciProcessPlan, warn: (line: string) => void): OciProcessPlan {
  if (o.processFile !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(o.processFile === '-' ? 0 : o.processFile, 'utf8'));
    } catch (e) {
      throw new OciRuntimeError(`--process ${o.processFile}: ${(e as Error).message}`, o.id, { cause: e });
    }
    const warnings: string[] = [];
    const { process: p } = planExecProcess(json, warnings, o.processFile);
    for (const w of warnings) warn(w);
    // conmon passes --tty beside a process.json that may say terminal: false.
    return o.tty === true ? { ...p, terminal: true } : p;
  }
  if (!o.args || o.args.length === 0) throw new OciRuntimeError('exec needs --process FILE or a command', o.id);
  return {
    ...base,
    args: o.args,
    env: [...base.env.filter((e) => !(o.env ?? []).some((x) => x.split('=')[0] === e.split('=')[0])), ...(o.env ?? [])],
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    ...(o.user ? { uid: o.user.uid, gid: o.user.gid, additionalGids: o.user.additionalGids ?? [] } : {}),
    terminal: o.tty === true,
    ...(o.noNewPrivs ? { noNewPrivileges: true } : {}),
  };
}

/** The container's compiled filter (create kept it): an exec is no way around it. */
function containerSeccomp(store: OciStore, id: string): OciSeccompProgram | undefined {
  const text = readTextIfPresent(store.seccompFile(id));
  if (text === null) return undefined;
  const j = JSON.parse(text) as { flags: number; program: string };
  return { flags: j.flags, program: new Uint8Array(Buffer.from(j.program, 'base64')) };
}

/**
 * runtime-spec's `exec` (runc's CLI): a process joins the container's
 * namespaces and its scope (AttachProcessesToUnit, before it execs), with
 * the container's seccomp filter. --detach: returns once it runs, and it is
 * the caller's subreaper's child (conmon); else waits and returns its status.
 */
export async function execContainer(store: OciStore, o: ExecOptions, warn: (line: string) => void): Promise<number> {
  const r = store.get(o.id);
  const status = statusOf(store, r);
  if (status !== 'running' && status !== 'created') throw new OciRuntimeError(`cannot exec in a container that is ${status}`, o.id);
  const process = execProcess(o, r.process as OciProcessPlan, warn);
  const seccomp = containerSeccomp(store, o.id);
  if (process.terminal && o.consoleSocket === undefined) throw new OciRuntimeError('a terminal needs --console-socket to hand it over', o.id);
  let consoleFd: number | undefined;
  const systemd = new OciSystemd();
  try {
    if (process.terminal && o.consoleSocket !== undefined) {
      const fd = unixConnect(Buffer.from(o.consoleSocket));
      if (fd < 0) throw new KernelError({ stage: 'parent', syscall: 'connect', what: 'console socket', errno: -fd, path: o.consoleSocket });
      consoleFd = fd;
    }
    const manager = systemd.manager(); // connecting while the stage forks
    const parked = ociExec({
      leaderPid: r.pid,
      process: { ...process, ...(seccomp ? { seccomp } : {}) },
      ...(consoleFd !== undefined ? { consoleFd } : {}),
      preserveFds: o.preserveFds,
      detach: o.detach,
    });
    try {
      await (await manager).attachProcessesToUnit(r.unit, '', [parked.pid]);
      if (o.pidFile !== undefined) writeFileAtomic(resolve(o.pidFile), String(parked.pid), { durable: false });
      parked.release();
    } catch (e) {
      parked.abort();
      throw e;
    }
    await systemd.close();
    return o.detach ? 0 : await parked.wait();
  } finally {
    if (consoleFd !== undefined) closeSync(consoleFd);
    await systemd.close();
  }
}
