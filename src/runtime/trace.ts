import { readFileSync } from 'node:fs';

/**
 * TSMACHINE_TRACE=1 prints how long each phase of a command took, to
 * stderr, for `npm run bench` to say where the time goes.
 */
const on = process.env.TSMACHINE_TRACE === '1';
// hrtime, not performance.now(): the global `performance` loads perf_hooks (~10 modules).
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
let last = on ? nowMs() : 0;
let first = true;

/** Milliseconds since this process was exec'd (10 ms resolution: /proc counts clock ticks). */
function sinceExec(): number {
  const ticks = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return (uptime - ticks / 100) * 1000;
}

/** Marks the end of a phase: "trace: PHASE N ms" since the previous mark (the first: since exec). */
export function trace(phase: string): void {
  if (!on) return;
  const now = nowMs();
  const ms = first ? sinceExec() : now - last;
  first = false;
  process.stderr.write(`trace: ${phase} ${ms.toFixed(1)} ms\n`);
  last = now;
}
