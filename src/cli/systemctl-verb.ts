import { childProcess } from '../builtins.js';
import { HELP, machineNameArg, type Command } from './command.js';
import { UsageError } from '../errors.js';

/** `enable`/`disable` are `systemctl enable/disable tsmachine@NAME.service`, as machinectl enable is for nspawn. */
export function systemctlVerb(verb: 'enable' | 'disable'): Command {
  return {
    usage: `tsmachine ${verb} NAME [--now]`,
    summary: `${verb} tsmachine@NAME.service, which runs the container at boot (machines.target)`,
    options: [{ long: 'now', kind: 'flag', help: `also ${verb === 'enable' ? 'start' : 'stop'} it` }, HELP],
    async run(p, ctx) {
      const name = machineNameArg(p, ctx);
      const args = [verb, ...(p.opts.has('now') ? ['--now'] : []), `tsmachine@${name}.service`];
      const r = childProcess().spawnSync('systemctl', args, { stdio: 'inherit' });
      if (r.error) throw new UsageError(`cannot run systemctl: ${r.error.message}`);
      if (r.status !== 0) throw new UsageError(`systemctl ${args.join(' ')} failed (exit ${r.status})`);
      return 0;
    },
  };
}
