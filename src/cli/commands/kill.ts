import { str } from '../args.js';
import { HELP, containerName, type Command } from '../command.js';
import { loadRuntime } from '../runtime-loader.js';
import { parseSignal } from '../signals.js';

export const kill: Command = {
  usage: 'tsmachine kill NAME [--signal SIG]',
  summary: 'send a signal to the payload (default SIGKILL)',
  options: [{ long: 'signal', short: 's', kind: 'value', arg: 'SIG', help: 'signal name or number (default KILL)' }, HELP],
  async run(p, ctx) {
    const name = containerName(p, ctx, { only: true });
    const sig = parseSignal(str(p, 'signal') ?? 'KILL');
    (await loadRuntime()).kill(name, sig);
    return 0;
  },
};
