import { flag, str, type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { loadRuntime } from '../runtime-loader.js';
import { parseSignal } from '../signals.js';

/** The verbs that take one container name and do one thing to it. */
const nameOf = (p: Parsed, ctx: CommandContext): string => containerName(p, ctx, { only: true });

function seconds(text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`--time '${text}' is not a number of seconds`);
  return Number(text);
}

export const stop: Command = {
  usage: 'tsmachine stop NAME [--time S]',
  summary: 'stop a container: SIGTERM to the payload, SIGKILL to the whole scope after S seconds (10)',
  options: [{ long: 'time', short: 't', kind: 'value', arg: 'S', help: 'seconds to wait before SIGKILL (default 10)' }, HELP],
  async run(p, ctx) {
    const name = nameOf(p, ctx);
    const wasRunning = await (await loadRuntime()).stop(name, seconds(str(p, 'time'), 10));
    if (!wasRunning) ctx.out(`${name}: was not running`);
    return 0;
  },
};

export const kill: Command = {
  usage: 'tsmachine kill NAME [--signal SIG]',
  summary: 'send a signal to the payload (default SIGKILL)',
  options: [{ long: 'signal', short: 's', kind: 'value', arg: 'SIG', help: 'signal name or number (default KILL)' }, HELP],
  async run(p, ctx) {
    const name = nameOf(p, ctx);
    const sig = parseSignal(str(p, 'signal') ?? 'KILL');
    (await loadRuntime()).kill(name, sig);
    return 0;
  },
};

export const rm: Command = {
  usage: 'tsmachine rm NAME [--force]',
  summary: 'remove a container and its writes',
  options: [{ long: 'force', short: 'f', kind: 'flag', help: 'stop it first if it runs' }, HELP],
  async run(p, ctx) {
    await (await loadRuntime()).rm(nameOf(p, ctx), flag(p, 'force'));
    return 0;
  },
};

export const restart: Command = {
  usage: 'tsmachine restart NAME [--time S]',
  summary: 'stop and start a container again',
  options: [{ long: 'time', short: 't', kind: 'value', arg: 'S', help: 'seconds to wait before SIGKILL (default 10)' }, HELP],
  async run(p, ctx) {
    const name = nameOf(p, ctx);
    const s = await (await loadRuntime()).restart(name, seconds(str(p, 'time'), 10));
    ctx.out(`${name}: running in ${s.unit}, leader ${s.initPid}`);
    return 0;
  },
};

