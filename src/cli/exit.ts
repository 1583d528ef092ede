import { bindingLoaded, exitNowIfLoaded } from '../kernel/exit.js';

/**
 * Ends the process, for both commands' entry points. After a runtime verb
 * (the native binding is loaded) the exit handlers run and then _exit:
 * Node's own teardown of V8 and its threads is a visible part of a whole
 * `run --rm` (docs/decisions.md). Not while a write to stdout or stderr is
 * still queued (a full pipe): then Node's exit, which gives it its chance.
 * Nor when the caller says teardown matters (coverage, profiling flags:
 * --cpu-prof and friends write at teardown).
 */
export function exitProcess(code: number, teardownMatters: boolean): never {
  if (bindingLoaded() && !teardownMatters && !process.getActiveResourcesInfo().some((r) => r.endsWith('WriteWrap'))) {
    process.exitCode = code;
    process.emit('exit', code);
    exitNowIfLoaded(code);
  }
  process.exit(code);
}
