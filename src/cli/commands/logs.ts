import { childProcess } from '../../builtins.js';
import { flag, str, type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { journalctlArgs } from '../../systemd/journal.js';
import { unitNameFor } from '../../runtime/unit-name.js';
import { readStoredSpec } from '../../state/container.js';

export const logs: Command = {
  usage: 'tsmachine logs [-f] [-n N] NAME',
  summary: "show the payload's output from the journal",
  options: [
    { long: 'follow', short: 'f', kind: 'flag', help: 'keep printing new lines' },
    { long: 'lines', short: 'n', kind: 'value', arg: 'N', help: 'only the last N lines' },
    HELP,
  ],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = containerName(p, ctx, { only: true });
    if (!readStoredSpec(name)) throw new UsageError(`no container named ${name}`);
    const n = str(p, 'lines');
    if (n !== undefined && !/^\d+$/.test(n)) throw new UsageError(`--lines '${n}' is not a whole number`);
    // journalctl is systemd's own reader of the journal files: its output is the reference.
    const args = journalctlArgs({ unit: unitNameFor(name), follow: flag(p, 'follow'), ...(n !== undefined ? { lines: Number(n) } : {}) });
    return new Promise((resolve, reject) => {
      const child = childProcess().spawn('journalctl', args, { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', (e) => reject(new UsageError(`cannot run journalctl: ${e.message}`)));
      child.on('exit', (code, sig) => resolve(code ?? (sig ? 0 : 1)));
    });
  },
};
