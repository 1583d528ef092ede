import { str, type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { validateSpec } from '../../config/spec.js';
import type { Limits } from '../../config/limits.js';
import { loadRuntime } from '../runtime-loader.js';

export const update: Command = {
  usage: 'tsmachine update NAME [--cpus N] [--memory SIZE] [--pids-limit N]',
  summary: 'change limits of a container, live (SetUnitProperties) and for its next start',
  options: [
    { long: 'cpus', kind: 'value', arg: 'N', help: 'CPU bandwidth (CPUQuotaPerSecUSec)' },
    { long: 'memory', short: 'm', kind: 'value', arg: 'SIZE', help: 'memory limit (MemoryMax)' },
    { long: 'pids-limit', kind: 'value', arg: 'N', help: 'maximum number of tasks (TasksMax)' },
    HELP,
  ],
  async run(p: Parsed, ctx: CommandContext): Promise<number> {
    const name = containerName(p, ctx, { only: true });
    const cpus = str(p, 'cpus'), memory = str(p, 'memory'), pids = str(p, 'pids-limit');
    if (cpus === undefined && memory === undefined && pids === undefined) throw new UsageError('nothing to update: give --cpus, --memory or --pids-limit');
    // The same validation as at creation, so `update` accepts exactly what `start` does.
    const parsed = validateSpec(name, {
      ...(cpus !== undefined ? { cpus } : {}), ...(memory !== undefined ? { memory } : {}), ...(pids !== undefined ? { pidsLimit: pids } : {}),
    }, { onlineCpus: [], exists: () => true, deviceKind: () => null }).limits;
    const limits: Limits = { ...parsed };
    // "infinity" lifts a limit: pass it on as an explicit "no limit".
    if (memory !== undefined && parsed.memory === undefined) limits.memory = Infinity;
    if (pids !== undefined && parsed.pids === undefined) limits.pids = Infinity;
    await (await loadRuntime()).update(name, limits);
    return 0;
  },
};
