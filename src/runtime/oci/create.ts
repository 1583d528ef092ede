import { chownSync, closeSync, existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../basic/atomic-file.js';
import { UndoStack } from '../../basic/undo.js';
import { processStartTime } from '../../kernel/index.js';
import { mkfifo, ociSpawn } from '../../kernel/oci.js';
import { compileSeccomp } from '../../kernel/seccomp-compile.js';
import { unixConnect } from '../../kernel/socket.js';
import { KernelError } from '../../kernel/errors.js';
import type { OciSeccompProgram } from '../../kernel/oci-types.js';
import { OCI_VERSION, parseSpec, planCreate, stateJson, type CreatePlan } from '../../oci/index.js';
import { MachineExistsError, UnitExistsError } from '../../systemd/errors.js';
import { readTextIfPresent } from '../../quiet-fs.js';
import { OciRuntimeError } from './errors.js';
import { runHooks } from './hooks.js';
import { cleanLeftover } from './leftover.js';
import { initAlive, initCgroupDir } from './status.js';
import { OciStore, type OciRecord } from './store.js';
import { OciSystemd } from './systemd.js';
import { scopeBaseProperties } from './scope.js';
import { trace } from '../trace.js';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  noPivot: boolean;
  systemdCgroup: boolean;
}

/** config.json read and planned: nothing exists yet, so bad input leaves nothing behind. */
function loadPlan(o: CreateOptions, bundle: string): CreatePlan {
  const path = resolve(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new OciRuntimeError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, o.id, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new OciRuntimeError(`${path} is not JSON: ${(e as Error).message}`, o.id, { cause: e });
  }
  return planCreate(parseSpec(json), bundle, { id: o.id, systemdCgroup: o.systemdCgroup, noPivot: o.noPivot });
}

/** What config.json asks that this host cannot give: refused up front (the spec requires an error). */
function checkHost(o: CreateOptions, plan: CreatePlan): void {
  const root = plan.request.rootfs;
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new OciRuntimeError(`root.path ${root} is not a directory`, o.id);
  if (plan.request.process.apparmorProfile !== undefined && readTextIfPresent('/sys/module/apparmor/parameters/enabled')?.trim() !== 'Y')
    throw new OciRuntimeError(`process.apparmorProfile '${plan.request.process.apparmorProfile}' is set but AppArmor is not enabled on this host`, o.id);
  for (const [field, label] of [['process.selinuxLabel', plan.selinuxLabel], ['linux.mountLabel', plan.mountLabel]] as const)
    if (label !== undefined && !existsSync('/sys/fs/selinux/enforce'))
      throw new OciRuntimeError(`${field} '${label}' is set but SELinux is not enabled on this host`, o.id);
  if (plan.request.process.terminal && o.consoleSocket === undefined)
    throw new OciRuntimeError('process.terminal is true: --console-socket is required to hand over the terminal', o.id);
}

/**
 * runtime-spec `create`: everything of config.json but the payload's
 * execve, in nspawn's order, each step with its undo. What stays: the init,
 * parked on exec.fifo, in its scope and registered with machined; no process
 * of ours (the child stage that cloned init has exited, so conmon, a
 * subreaper, becomes init's parent).
 */
export async function createContainer(store: OciStore, o: CreateOptions, warn: (line: string) => void): Promise<void> {
  const bundle = resolve(o.bundle);
  const plan = loadPlan(o, bundle);
  checkHost(o, plan);
  for (const w of plan.warnings) warn(w);
  trace('plan');
  const seccomp: OciSeccompProgram | undefined = plan.seccomp ? compileSeccomp(plan.seccomp) : undefined;

  const record: OciRecord = {
    ociVersion: OCI_VERSION,
    id: o.id,
    bundle: plan.bundle,
    rootfs: plan.request.rootfs,
    annotations: plan.annotations,
    phase: 'creating',
    creator: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 },
    pid: 0,
    pidStartTime: 0,
    unit: plan.unit.name,
    slice: plan.unit.slice,
    machine: null,
    created: new Date().toISOString(),
    poststart: plan.hooks.poststart,
    poststop: plan.hooks.poststop,
    process: plan.request.process,
  };
  if (!store.claim(record)) {
    const prior = store.read(o.id);
    // No record: a create of an older version mid-way, or a delete removing it. Not ours to clean.
    if (prior === null || (prior.phase !== 'creating' ? initAlive(prior) : creatorAlive(prior))) throw new OciRuntimeError(`container ${o.id} already exists`, o.id);
    // A create killed half-way (or a stopped container nobody deleted): its leftovers go, then the ID is ours.
    await cleanLeftover(store, o.id, prior);
    if (!store.claim(record)) throw new OciRuntimeError(`container ${o.id} already exists`, o.id);
  }
  trace('seccomp+claim');
  const undo = new UndoStack();
  undo.push('state dir', () => store.remove(o.id));
  const systemd = new OciSystemd();
  let consoleFd: number | undefined;
  try {
    if (seccomp) writeFileAtomic(store.seccompFile(o.id), JSON.stringify({ flags: seccomp.flags, program: Buffer.from(seccomp.program).toString('base64') }), { mode: 0o600, durable: false });
    const fifo = store.fifo(o.id);
    mkfifo(fifo, 0o622);
    // The payload's user opens it (through init's O_PATH fd): its owner is the container's root.
    const rootUid = hostId(plan.request.uidMappings, 0), rootGid = hostId(plan.request.gidMappings, 0);
    if (rootUid !== 0 || rootGid !== 0) chownSync(fifo, rootUid, rootGid);
    if (o.consoleSocket !== undefined && plan.request.process.terminal) {
      const fd = unixConnect(Buffer.from(o.consoleSocket));
      if (fd < 0) throw new KernelError({ stage: 'parent', syscall: 'connect', what: 'console socket', errno: -fd, path: o.consoleSocket });
      consoleFd = fd;
    }

    const parked = ociSpawn({
      ...plan.request,
      process: { ...plan.request.process, ...(seccomp ? { seccomp } : {}) },
      fifoPath: fifo,
      stateFile: store.stateFile(o.id),
      ...(consoleFd !== undefined ? { consoleFd } : {}),
      preserveFds: o.preserveFds,
    });
    undo.push('init', () => parked.abort());
    record.pid = parked.initPid;
    record.pidStartTime = processStartTime(parked.initPid) ?? 0;
    store.write(record);
    trace('spawn');

    const manager = await systemd.manager();
    trace('bus');
    try {
      const started = manager.startTransientScope(plan.unit.name, [...scopeBaseProperties(plan, parked.initPid), ...plan.properties]);
      // machined's bus is connected while systemd makes the scope: off the critical path.
      systemd.machined().catch(() => undefined);
      await started;
    } catch (e) {
      if (e instanceof UnitExistsError) throw new OciRuntimeError(`unit ${plan.unit.name} already exists (cgroupsPath names a unit in use)`, o.id, { cause: e });
      throw e;
    }
    undo.push('scope', () => manager.stopUnit(plan.unit.name));
    trace('scope');
    const machined = await systemd.machined();
    try {
      await machined.registerMachineWithNetwork({ name: plan.machineName, service: 'tsmachine-oci', class: 'container', leader: parked.initPid, rootDirectory: plan.request.rootfs });
    } catch (e) {
      if (e instanceof MachineExistsError) throw new OciRuntimeError(`machine ${plan.machineName} already exists (machinectl list)`, o.id, { cause: e });
      throw e;
    }
    undo.push('machine', () => machined.unregisterMachine(plan.machineName));
    record.machine = plan.machineName;
    store.write(record);
    trace('machined');

    const state = JSON.stringify(stateJson({ id: o.id, status: 'creating', pid: parked.initPid, bundle: plan.bundle, annotations: plan.annotations }));
    writeFileAtomic(store.stateFile(o.id), state, { mode: 0o600, durable: false });
    runHooks(o.id, 'prestart', plan.hooks.prestart, state);
    runHooks(o.id, 'createRuntime', plan.hooks.createRuntime, state);
    trace('hooks');
    parked.finish();
    trace('finish');
    if (o.pidFile !== undefined) writeFileAtomic(resolve(o.pidFile), String(parked.initPid), { durable: false });
    record.phase = 'created';
    store.write(record);
    const cgroup = initCgroupDir(parked.initPid);
    if (cgroup !== null) store.writeFast(o.id, { pid: parked.initPid, start: record.pidStartTime, cgroup, poststart: plan.hooks.poststart.length > 0, poststop: plan.hooks.poststop.length > 0 });
    undo.commit();
    trace('record');
  } catch (e) {
    await undo.unwind();
    throw e;
  } finally {
    if (consoleFd !== undefined) closeSync(consoleFd); // the stage has its own copy
    await systemd.close();
  }
}

/** The host id a container id maps to (itself without a user namespace). */
function hostId(maps: readonly { containerID: number; hostID: number; size: number }[], id: number): number {
  if (maps.length === 0) return id;
  const m = maps.find((x) => id >= x.containerID && id < x.containerID + x.size);
  return m ? m.hostID + (id - m.containerID) : id;
}

function creatorAlive(r: OciRecord): boolean {
  return r.creator.pid > 0 && processStartTime(r.creator.pid) === r.creator.startTime;
}
