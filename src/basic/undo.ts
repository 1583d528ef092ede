/**
 * Each step of a start (the runtime's, the network's) registers how to take
 * itself back; a failure unwinds them in reverse (nspawn and runc do the
 * same by hand). Each step runs at most once, and one failing step does not
 * stop the others: leaving less behind beats stopping at the first problem.
 * Undo errors are collected, never thrown over the original failure, which
 * is what the user needs to see.
 */
export class UndoStack {
  private readonly steps: { label: string; fn: () => unknown }[] = [];

  push(label: string, fn: () => unknown): void {
    this.steps.push({ label, fn });
  }

  /** Forget everything: the start succeeded. */
  commit(): void {
    this.steps.length = 0;
  }

  /** Runs every step, newest first; returns "label: message" for each that failed. */
  async unwind(): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const { label, fn } = this.steps.pop()!;
      try {
        await fn();
      } catch (e) {
        failures.push(`${label}: ${(e as Error).message}`);
      }
    }
    return failures;
  }
}
