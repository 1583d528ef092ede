import type { Runtime } from '../runtime/runtime.js';
import { printErr } from './output.js';

/**
 * The runtime and its effects (the native binding, the D-Bus client) load only
 * for verbs that need them, so `--help` and argument errors answer without
 * loading native code.
 */
export async function loadRuntime(): Promise<Runtime> {
  const { createRuntime } = await import('../runtime/real-deps.js');
  const { trace } = await import('../runtime/trace.js');
  trace('runtime-modules');
  return createRuntime((line) => printErr(`tsmachine: warning: ${line}\n`));
}
