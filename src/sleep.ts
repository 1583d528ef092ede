/** A promise that resolves after ms (node:timers/promises cost 5 ms to load in the test VM, on every start). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
