import { childProcess } from '../../builtins.js';
import type { OciHookPlan } from '../../kernel/oci-types.js';
import { HookError } from './errors.js';

/**
 * The hooks that run in the runtime's namespaces (prestart, createRuntime,
 * poststart, poststop): config.json's path, args (args[0] is argv[0]) and
 * env (nothing inherited), the state JSON on stdin, killed at their timeout.
 * createContainer and startContainer run inside the container, from the
 * init stage (native/src/oci-init.c). node:child_process loads on first
 * use: most containers have no runtime hooks, and every verb would pay for it.
 */
export function runHooks(id: string, kind: string, hooks: readonly OciHookPlan[], state: string): void {
  for (const h of hooks) {
    const args = h.args.length > 0 ? h.args : [h.path];
    const r = childProcess().spawnSync(h.path, args.slice(1), {
      argv0: args[0],
      env: Object.fromEntries(h.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      input: state,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(h.timeout !== undefined ? { timeout: h.timeout * 1000, killSignal: 'SIGKILL' as const } : {}),
      maxBuffer: 1 << 20,
    });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      throw new HookError(id, kind, h.path, code === 'ETIMEDOUT' ? `timed out after ${h.timeout} s` : r.error.message);
    }
    if (r.status !== 0) {
      const said = r.stderr.toString().trim().split('\n').pop() ?? '';
      throw new HookError(id, kind, h.path, `${r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`}${said ? `: ${said}` : ''}`);
    }
  }
}

/** poststart and poststop: a failure is told, never undoes what already happened (runtime-spec). */
export function runHooksWarning(id: string, kind: string, hooks: readonly OciHookPlan[], state: string, warn: (line: string) => void): void {
  for (const h of hooks) {
    try {
      runHooks(id, kind, [h], state);
    } catch (e) {
      warn((e as Error).message);
    }
  }
}
