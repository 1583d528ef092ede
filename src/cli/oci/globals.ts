import { UsageError } from '../../errors.js';
import type { OptionSpec } from '../args.js';
import { DEFAULT_OCI_ROOT } from '../../runtime/oci/store.js';

/** Global flags, before the verb, as runc's: `--x v` and `--x=v`. */
export const GLOBALS: OptionSpec[] = [
  { long: 'root', kind: 'value', arg: 'DIR', help: `state directory (default ${DEFAULT_OCI_ROOT})` },
  { long: 'log', kind: 'value', arg: 'FILE', help: 'also log errors and warnings here' },
  { long: 'log-format', kind: 'value', arg: 'FMT', help: 'text (default) or json (lines of {"level","msg","time"})' },
  { long: 'log-level', kind: 'value', arg: 'LEVEL', help: 'accepted (errors and warnings are all we log)' },
  { long: 'debug', kind: 'flag', help: 'stack traces on stderr' },
  { long: 'systemd-cgroup', kind: 'flag', help: 'cgroupsPath is SLICE:PREFIX:NAME (scope PREFIX-NAME.scope in SLICE)' },
  { long: 'rootless', kind: 'value', arg: 'BOOL', help: 'accepted; rootless operation is not supported' },
  { long: 'version', short: 'v', kind: 'flag', help: 'print the version' },
  { long: 'help', short: 'h', kind: 'flag', help: 'show this help' },
];

/** Global flags up to the verb. */
export function parseGlobals(argv: string[]): { opts: Map<string, string | true>; rest: string[] } {
  const opts = new Map<string, string | true>();
  const byLong = new Map(GLOBALS.map((g) => [g.long, g]));
  const byShort = new Map(GLOBALS.filter((g) => g.short).map((g) => [g.short!, g]));
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') break;
    if (a === '--') { i++; break; }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    // runc (urfave/cli) takes -root as well as --root.
    const key = eq < 0 ? body : body.slice(0, eq);
    const spec = byLong.get(key) ?? (a.length === 2 ? byShort.get(a[1]!) : undefined);
    if (!spec) throw new UsageError(`unknown global option ${a.slice(0, a.length - body.length)}${key}`);
    if (spec.kind === 'flag') {
      if (eq >= 0) {
        const v = body.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`--${key} takes no value`);
        if (v === 'true') opts.set(spec.long, true);
      } else opts.set(spec.long, true);
      continue;
    }
    const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`option --${spec.long} needs a value`);
    opts.set(spec.long, value);
  }
  return { opts, rest: argv.slice(i) };
}

