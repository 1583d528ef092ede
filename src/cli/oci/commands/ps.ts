import { UsageError } from '../../../errors.js';
import { str } from '../../args.js';
import { containerPids } from '../../../runtime/oci/query.js';
import { containerId, type OciCommand } from '../command.js';

export const ps: OciCommand = {
  usage: 'tsmachine-oci ps [--format table|json] ID',
  summary: "the host PIDs of the container's scope",
  options: [{ long: 'format', short: 'f', kind: 'value', arg: 'FMT', help: 'table (default) or json' }],
  run(p, ctx) {
    const format = str(p, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format '${format}' is not table or json`);
    const pids = containerPids(ctx.store, containerId(p, ctx));
    ctx.out(format === 'json' ? `${JSON.stringify(pids)}\n` : `PID\n${pids.map((x) => `${x}\n`).join('')}`);
    return 0;
  },
};
