/**
 * Undo steps a setup registers as it creates things; run in reverse on
 * failure (or by the runtime through NetworkResult.undo). Each step runs at
 * most once, and one failing step does not stop the others: leaving less
 * behind beats stopping at the first problem.
 */
export class UndoStack {
  private steps: { what: string; fn: () => unknown }[] = [];

  push(what: string, fn: () => unknown): void {
    this.steps.push({ what, fn });
  }

  /** Runs every step, last first; returns the failures as "what: message". */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      if (!step) break;
      try {
        await step.fn();
      } catch (e) {
        failures.push(`${step.what}: ${(e as Error).message}`);
      }
    }
    return failures;
  }
}
