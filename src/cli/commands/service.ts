import { childProcess } from '../../builtins.js';
import { type Parsed } from '../args.js';
import { HELP, containerName, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../../errors.js';
import { machineNameProblem } from '../../config/spec.js';
import { resolveOptions } from '../../config/settings/resolve.js';
import { readStoredSpec } from '../../state/container.js';

function nameArg(p: Parsed, ctx: CommandContext): string {
  const name = containerName(p, ctx, { only: true });
  const problem = machineNameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}

/** `enable`/`disable` are `systemctl enable/disable tsmachine@NAME.service`, as machinectl enable is for nspawn. */
function systemctlVerb(verb: 'enable' | 'disable'): Command {
  return {
    usage: `tsmachine ${verb} NAME [--now]`,
    summary: `${verb} tsmachine@NAME.service, which runs the container at boot (machines.target)`,
    options: [{ long: 'now', kind: 'flag', help: `also ${verb === 'enable' ? 'start' : 'stop'} it` }, HELP],
    async run(p, ctx) {
      const name = nameArg(p, ctx);
      const args = [verb, ...(p.opts.has('now') ? ['--now'] : []), `tsmachine@${name}.service`];
      const r = childProcess().spawnSync('systemctl', args, { stdio: 'inherit' });
      if (r.error) throw new UsageError(`cannot run systemctl: ${r.error.message}`);
      if (r.status !== 0) throw new UsageError(`systemctl ${args.join(' ')} failed (exit ${r.status})`);
      return 0;
    },
  };
}

export const enable = systemctlVerb('enable');
export const disable = systemctlVerb('disable');

export const config: Command = {
  usage: 'tsmachine config NAME [--json]',
  summary: 'show the settings a container starts with, and where each came from',
  options: [{ long: 'json', kind: 'flag', help: 'print JSON' }, HELP],
  async run(p, ctx) {
    const name = nameArg(p, ctx);
    const r = resolveOptions(name, {});
    const stored = readStoredSpec(name);
    const out = { name, settingsFile: r.file ?? null, options: r.options, origins: r.origins, warnings: r.warnings, stored: stored?.spec ?? null };
    if (p.opts.has('json')) { ctx.out(JSON.stringify(out, null, 2)); return 0; }
    ctx.out(`settings file: ${r.file ?? '(none)'}`);
    for (const w of r.warnings) ctx.out(`warning: ${w}`);
    for (const [k, v] of Object.entries(r.options)) ctx.out(`${k} = ${JSON.stringify(v)}    (${r.origins[k as keyof typeof r.origins] ?? 'default'})`);
    if (stored) ctx.out(`stored spec (used by start of the existing container): ${JSON.stringify(stored.spec)}`);
    return 0;
  },
};
