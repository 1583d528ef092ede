import { UsageError } from '../errors.js';

/**
 * A small argument parser. Node's util.parseArgs cannot stop at the first
 * word of a payload command (`exec web ls -l` must not read -l as ours), and
 * commander's import would cost every start; this is 80 lines.
 */
export interface OptionSpec {
  long: string;
  short?: string;
  kind: 'flag' | 'value' | 'list';
  /** Placeholder for help output, e.g. "SIZE". */
  arg?: string;
  help: string;
}

export interface Parsed {
  opts: Map<string, string | true | string[]>;
  positionals: string[];
  /** Words after `--`, or from the first positional past `maxPositionals` on. */
  command: string[];
  sawDoubleDash: boolean;
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], maxPositionals = Infinity): Parsed {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const opts = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const set = (s: OptionSpec, value: string | undefined, shown: string): void => {
    if (s.kind === 'flag') {
      if (value !== undefined) throw new UsageError(`option ${shown} takes no value`);
      opts.set(s.long, true);
      return;
    }
    if (value === undefined) throw new UsageError(`option ${shown} needs a value${s.arg ? ` (${s.arg})` : ''}`);
    if (s.kind === 'list') {
      const prev = opts.get(s.long);
      opts.set(s.long, [...(Array.isArray(prev) ? prev : []), value]);
    } else opts.set(s.long, value);
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { opts, positionals, command: argv.slice(i + 1), sawDoubleDash: true };
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = a.slice(2, eq < 0 ? undefined : eq);
      const s = byLong.get(key);
      if (!s) throw new UsageError(`unknown option --${key}`);
      set(s, eq >= 0 ? a.slice(eq + 1) : s.kind === 'flag' ? undefined : argv[++i], `--${key}`);
    } else if (a.startsWith('-') && a.length > 1) {
      // -it, -p 8080:80, -p8080:80, -n5
      for (let j = 1; j < a.length; j++) {
        const s = byShort.get(a[j]!);
        if (!s) throw new UsageError(`unknown option -${a[j]}`);
        if (s.kind === 'flag') { set(s, undefined, `-${a[j]}`); continue; }
        const rest = a.slice(j + 1);
        set(s, rest !== '' ? rest : argv[++i], `-${a[j]}`);
        break;
      }
    } else {
      if (positionals.length >= maxPositionals) return { opts, positionals, command: argv.slice(i), sawDoubleDash: false };
      positionals.push(a);
    }
  }
  return { opts, positionals, command: [], sawDoubleDash: false };
}

export const str = (p: Parsed, k: string): string | undefined => {
  const v = p.opts.get(k);
  return typeof v === 'string' ? v : undefined;
};
export const list = (p: Parsed, k: string): string[] | undefined => {
  const v = p.opts.get(k);
  return Array.isArray(v) ? v : undefined;
};
export const flag = (p: Parsed, k: string): boolean => p.opts.get(k) === true;

export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => [`${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.arg ? ` ${s.arg}` : ''}`, s.help] as const);
  const w = Math.max(...rows.map((r) => r[0].length), 10);
  return rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join('\n');
}
