import { readFileSync, writeSync } from 'node:fs';

/**
 * TSMACHINE_TRACE=1 prints how long each phase of a command took, to
 * stderr, for `npm run bench` to say where the time goes.
 *
 * The lines are kept and written once, at exit: a write to stderr per mark
 * (a file or a console behind it) would be charged to the phases it
 * claims to measure.
 */
const on = process.env.TSMACHINE_TRACE === '1';
// hrtime, not performance.now(): the global `performance` loads perf_hooks (~10 modules).
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const t0 = on ? nowMs() : 0;
let last = t0;
let lines: string[] | null = null;

/** Milliseconds since this process was exec'd (10 ms resolution: /proc counts clock ticks). */
function sinceExec(): number {
  const ticks = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return (uptime - ticks / 100) * 1000;
}

/** Marks the end of a phase: "trace: PHASE N ms @T": N since the previous mark (the first: since exec), T since this module loaded. */
export function trace(phase: string): void {
  if (!on) return;
  const now = nowMs();
  if (lines === null) {
    lines = [];
    process.once('exit', () => {
      // The monotonic clock at the last moment, for a caller to time the process's exit.
      try { writeSync(2, `${lines!.join('')}trace-clock: ${process.hrtime.bigint()}\n`); } catch { /* stderr gone */ }
    });
  }
  const ms = lines.length === 0 ? sinceExec() : now - last;
  lines.push(`trace: ${phase} ${ms.toFixed(1)} ms @${(now - t0).toFixed(0)}\n`);
  last = now;
}
