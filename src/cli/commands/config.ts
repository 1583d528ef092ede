import { HELP, machineNameArg, type Command } from '../command.js';
import { resolveOptions } from '../../config/settings/resolve.js';
import { readStoredSpec } from '../../state/container.js';

export const config: Command = {
  usage: 'tsmachine config NAME [--json]',
  summary: 'show the settings a container starts with, and where each came from',
  options: [{ long: 'json', kind: 'flag', help: 'print JSON' }, HELP],
  async run(p, ctx) {
    const name = machineNameArg(p, ctx);
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
