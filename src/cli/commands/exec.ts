import { list, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { loadRuntime } from '../runtime-loader.js';

export const exec: Command = {
  usage: 'tsmachine exec [-i] [-t] [--env K=V] NAME CMD ARGS...',
  summary: "run a command in a running container's namespaces and scope; exits with its status",
  options: [
    { long: 'interactive', short: 'i', kind: 'flag', help: 'keep stdin attached' },
    { long: 'tty', short: 't', kind: 'flag', help: "accepted for docker compatibility: the command uses the CLI's own terminal (no new pty yet)" },
    { long: 'env', short: 'e', kind: 'list', arg: 'K=V', help: 'extra environment (repeatable)' },
    HELP,
  ],
  maxPositionals: 1,
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = p.positionals[0];
    if (!name) throw new UsageError('a container name is required');
    ctx.subject = name;
    if (p.command.length === 0) throw new UsageError('a command to run is required');
    const env = list(p, 'env') ?? [];
    for (const e of env) if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw new UsageError(`--env '${e}' is not KEY=VALUE`);
    return (await loadRuntime()).exec(name, p.command, env);
  },
};
