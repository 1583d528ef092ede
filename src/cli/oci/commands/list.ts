import { UsageError } from '../../../errors.js';
import { flag, str } from '../../args.js';
import { containerState } from '../../../runtime/oci/query.js';
import type { OciCommand } from '../command.js';
import { formatTable } from '../../table.js';

export const list: OciCommand = {
  usage: 'tsmachine-oci list [--format table|json] [--quiet]',
  summary: 'the containers under --root',
  options: [
    { long: 'format', short: 'f', kind: 'value', arg: 'FMT', help: 'table (default) or json' },
    { long: 'quiet', short: 'q', kind: 'flag', help: 'IDs only' },
  ],
  maxPositionals: 0,
  run(p, ctx) {
    const format = str(p, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format '${format}' is not table or json`);
    const states = ctx.store.ids().flatMap((id) => {
      try {
        return [containerState(ctx.store, id)];
      } catch {
        return []; // a create in progress before its first record
      }
    });
    if (flag(p, 'quiet')) ctx.out(states.map((s) => `${s.id}\n`).join(''));
    else if (format === 'json') ctx.out(`${JSON.stringify(states)}\n`);
    else ctx.out(formatTable([['ID', 'PID', 'STATUS', 'BUNDLE'], ...states.map((s) => [s.id, String(s.pid ?? 0), s.status, s.bundle])]).map((l) => `${l}\n`).join(''));
    return 0;
  },
};
