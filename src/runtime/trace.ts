/**
 * TSMACHINE_TRACE=1 prints how long each phase of a command took, to
 * stderr, for `npm run bench` to say where the time goes.
 */
const on = process.env.TSMACHINE_TRACE === '1';
let last = performance.now();

/** Marks the end of a phase: "trace: PHASE N ms" since the previous mark (the first: since process start). */
export function trace(phase: string): void {
  if (!on) return;
  const now = performance.now();
  process.stderr.write(`trace: ${phase} ${(now - last).toFixed(1)} ms\n`);
  last = now;
}
