import { sleep } from '../sleep.js';
import { readRuntime } from '../state/container.js';
import type { RuntimeDeps } from './deps.js';
import { isAlive } from './liveness.js';
import { cleanStale, recordExit } from './stale.js';

const SIGTERM = 15, SIGKILL = 9;

/**
 * docker's stop: SIGTERM to the payload, then after `timeoutS` SIGKILL to
 * every process of the scope (KillUnit, so systemd does the killing and
 * nothing escapes by forking). Then the leftovers go: scope, machine,
 * network, runtime state. Returns false when it was not running.
 *
 * Unlike docker, no waiting for a SIGTERM that cannot work: the payload is
 * its namespace's PID 1, and the kernel drops a signal from outside that
 * PID 1 has no handler for (busybox httpd has none). Then SIGKILL comes at
 * once instead of after `timeoutS`.
 */
export async function stopContainer(deps: RuntimeDeps, name: string, timeoutS: number): Promise<boolean> {
  const rt = readRuntime(name);
  const bus = await deps.systemd();
  try {
    if (!rt || !isAlive(deps.kernel, rt)) {
      await cleanStale(deps, bus, name);
      return false;
    }
    const heeds = deps.kernel.catchesSignal(rt.initPid, SIGTERM) !== false;
    if (heeds) deps.kernel.kill(rt.initPid, SIGTERM);
    const deadline = heeds ? Date.now() + timeoutS * 1000 : 0;
    while (Date.now() < deadline && isAlive(deps.kernel, rt)) await sleep(50);
    let killed = false;
    if (isAlive(deps.kernel, rt)) {
      killed = true;
      if (rt.mode === 'service') deps.kernel.kill(rt.initPid, SIGKILL);
      else await bus.scopes.killUnit(rt.unit, 'all', SIGKILL);
      const hard = Date.now() + 10_000;
      while (Date.now() < hard && isAlive(deps.kernel, rt)) await sleep(20);
    }
    // The monitor writes the exit file right after init dies; give it a moment.
    const settle = Date.now() + 1000;
    while (Date.now() < settle && deps.kernel.processStartTime(rt.monitorPid) !== null) await sleep(20);
    recordExit(name, killed ? 128 + SIGKILL : null);
    await cleanStale(deps, bus, name);
    return true;
  } finally {
    bus.close();
  }
}

/** Sends one signal to the payload (the container's PID 1). */
export function killContainer(deps: RuntimeDeps, name: string, signal: number): boolean {
  const rt = readRuntime(name);
  if (!rt || !isAlive(deps.kernel, rt)) return false;
  deps.kernel.kill(rt.initPid, signal);
  return true;
}
