import { flag, type Parsed } from '../args.js';
import { HELP, type Command, type CommandContext } from '../command.js';
import { CONTAINER_OPTIONS, containerOptionsFrom } from '../container-options.js';
import { UsageError } from '../../errors.js';
import { loadRuntime } from '../runtime-loader.js';
import { requireRoot } from '../../runtime/preflight.js';
import { relaySignals } from '../signals.js';

export const run: Command = {
  usage: 'tsmachine run [--rm] [-i] [-t] [options] NAME [--] CMD ARGS...',
  summary: 'run a command in a new container in the foreground; exits with its status',
  options: [
    { long: 'rm', kind: 'flag', help: 'remove the container when it exits' },
    { long: 'interactive', short: 'i', kind: 'flag', help: 'keep stdin attached' },
    { long: 'tty', short: 't', kind: 'flag', help: "accepted for docker compatibility: the payload uses the CLI's own terminal (no new pty yet)" },
    ...CONTAINER_OPTIONS,
    HELP,
  ],
  maxPositionals: 1,
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = p.positionals[0];
    if (!name) throw new UsageError('a container name is required');
    ctx.subject = name;
    requireRoot();
    const rt = await loadRuntime();
    return rt.run(name, containerOptionsFrom(p, p.command), { remove: flag(p, 'rm'), interactive: flag(p, 'interactive'), relaySignals });
  },
};
