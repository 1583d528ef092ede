import { list, str, type Parsed } from '../args.js';
import { parseUser } from '../../config/units.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { loadRuntime } from '../runtime-loader.js';
import { withForegroundIo } from '../payload-io.js';

export const exec: Command = {
  usage: 'tsmachine exec [-i] [-t] [-u USER[:GROUP]] [--env K=V] NAME CMD ARGS...',
  summary: "run a command in a running container's namespaces and scope; exits with its status",
  options: [
    { long: 'interactive', short: 'i', kind: 'flag', help: 'keep stdin attached (without it the command reads /dev/null)' },
    { long: 'tty', short: 't', kind: 'flag', help: 'give the command a new pseudo-terminal (with -i, the local terminal goes raw and is relayed to it)' },
    { long: 'env', short: 'e', kind: 'list', arg: 'K=V', help: 'extra environment (repeatable)' },
    { long: 'user', short: 'u', kind: 'value', arg: 'USER[:GROUP]', help: "run as this user (default: the container's payload user)" },
    HELP,
  ],
  maxPositionals: 1,
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = containerName(p, ctx);
    if (p.command.length === 0) throw new UsageError('a command to run is required');
    const env = list(p, 'env') ?? [];
    for (const e of env) if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw new UsageError(`--env '${e}' is not KEY=VALUE`);
    const user = str(p, 'user');
    if (user !== undefined) {
      const r = parseUser(user);
      if (!r.ok) throw new UsageError(`--user '${user}' ${r.reason}`);
    }
    const rt = await loadRuntime();
    return withForegroundIo(p, (io) => rt.exec(name, { argv: p.command, env, ...(user !== undefined ? { user } : {}) }, io));
  },
};
