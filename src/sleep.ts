/** A promise that resolves after ms (not node:timers/promises: loading it would cost every start). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
