import { UsageError } from '../../../errors.js';
import { flag, list, str } from '../../args.js';
import { execContainer } from '../../../runtime/oci/exec.js';
import { containerId, preserveFds, type OciCommand } from '../command.js';

function userOption(text: string | undefined, gids: string[] | undefined): { uid: number; gid: number; additionalGids?: number[] } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--user '${text}' is not UID[:GID] (numbers: the runtime does not read the container's /etc/passwd)`);
  const extra = (gids ?? []).map((g) => {
    if (!/^\d+$/.test(g)) throw new UsageError(`--additional-gids '${g}' is not a number`);
    return Number(g);
  });
  return { uid: Number(m[1]), gid: Number(m[2] ?? 0), ...(extra.length > 0 ? { additionalGids: extra } : {}) };
}

export const exec: OciCommand = {
  usage: 'tsmachine-oci exec [options] ID [COMMAND [ARG...]]',
  summary: "run a process in a running container (its namespaces, scope and seccomp filter)",
  maxPositionals: 1,
  options: [
    { long: 'process', short: 'p', kind: 'value', arg: 'FILE', help: "a runtime-spec process JSON ('-': stdin) instead of COMMAND" },
    { long: 'detach', short: 'd', kind: 'flag', help: 'return once the process runs' },
    { long: 'pid-file', kind: 'value', arg: 'F', help: "write the process's host PID here" },
    { long: 'tty', short: 't', kind: 'flag', help: 'a pty (needs --console-socket)' },
    { long: 'console-socket', kind: 'value', arg: 'SOCK', help: 'AF_UNIX socket that receives the pty master' },
    { long: 'preserve-fds', kind: 'value', arg: 'N', help: 'pass fds 3..3+N-1 on' },
    { long: 'cwd', kind: 'value', arg: 'DIR', help: 'working directory (COMMAND form)' },
    { long: 'env', short: 'e', kind: 'list', arg: 'K=V', help: 'add an environment variable (COMMAND form)' },
    { long: 'user', short: 'u', kind: 'value', arg: 'UID[:GID]', help: 'numeric user (COMMAND form)' },
    { long: 'additional-gids', short: 'g', kind: 'list', arg: 'GID', help: 'supplementary group (COMMAND form)' },
    { long: 'no-new-privs', kind: 'flag', help: 'set no_new_privs (COMMAND form)' },
  ],
  async run(p, ctx) {
    const id = containerId(p, ctx);
    const processFile = str(p, 'process'), pidFile = str(p, 'pid-file'), consoleSocket = str(p, 'console-socket'), cwd = str(p, 'cwd');
    if (processFile !== undefined && p.command.length > 0) throw new UsageError('give --process FILE or a COMMAND, not both');
    const user = userOption(str(p, 'user'), list(p, 'additional-gids'));
    return execContainer(ctx.store, {
      id,
      ...(processFile !== undefined ? { processFile } : { args: p.command }),
      ...(list(p, 'env') ? { env: list(p, 'env') } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
      ...(user ? { user } : {}),
      tty: flag(p, 'tty'),
      noNewPrivs: flag(p, 'no-new-privs'),
      detach: flag(p, 'detach'),
      ...(pidFile !== undefined ? { pidFile } : {}),
      ...(consoleSocket !== undefined ? { consoleSocket } : {}),
      preserveFds: preserveFds(str(p, 'preserve-fds')),
    }, ctx.warn);
  },
};
