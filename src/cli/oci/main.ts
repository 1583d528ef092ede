import { appendFileSync } from 'node:fs';
import { TsmError, UsageError } from '../../errors.js';
import { bindingLoaded, exitNowIfLoaded } from '../../kernel/exit.js';
import { formatOptions, parseArgs, flag, type OptionSpec } from '../args.js';
import { printErr, writeBytes } from '../output.js';
import { OciStore, DEFAULT_OCI_ROOT } from '../../runtime/oci/store.js';
import type { OciCommand, OciContext } from './command.js';
import { create } from './commands/create.js';
import { start } from './commands/start.js';
import { state } from './commands/state.js';
import { kill } from './commands/kill.js';
import { del } from './commands/delete.js';
import { exec } from './commands/exec.js';
import { pause, resume } from './commands/pause.js';
import { update } from './commands/update.js';
import { ps } from './commands/ps.js';
import { list } from './commands/list.js';
import { features } from './commands/features.js';
import { OCI_VERSION } from '../../oci/index.js';

/**
 * tsmachine-oci: the runtime-spec command line (runc's and crun's), for
 * podman/conmon, containerd's runc shim and runtime-tools. Its own entry
 * point, because its verbs (start, kill, delete) mean other things to
 * tsmachine. runc's exit status for its own failures is 1.
 */
const EXIT_FAILURE = 1;

/** Text to stdout, as given (`state` prints JSON that ends its own line). */
const writeOut = (text: string): void => writeBytes(1, Buffer.from(text));
const VERSION = '0.1.0';

const COMMANDS: Record<string, OciCommand> = { create, start, state, kill, delete: del, exec, pause, resume, update, ps, list, features };

/** Global flags, before the verb, as runc's: `--x v` and `--x=v`. */
const GLOBALS: OptionSpec[] = [
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

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: tsmachine-oci [global options] COMMAND [options] ID',
    '',
    'An OCI runtime (runtime-spec command line): each container a transient systemd scope,',
    'registered with systemd-machined; nothing of ours stays running beside it.',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'global options:',
    formatOptions(GLOBALS),
  ].join('\n');
}

interface Logger {
  (level: 'error' | 'warning', msg: string): void;
}

function logger(file: string | undefined, format: string): Logger {
  return (level, msg) => {
    if (file === undefined) return;
    const time = new Date().toISOString();
    const line = format === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    try {
      appendFileSync(file, `${line}\n`);
    } catch {
      /* the log is a courtesy; stderr still has the line */
    }
  };
}

async function main(argv: string[]): Promise<number> {
  let globals;
  try {
    globals = parseGlobals(argv);
  } catch (e) {
    printErr(`tsmachine-oci: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  const { opts, rest } = globals;
  const log = logger(opts.get('log') as string | undefined, (opts.get('log-format') as string | undefined) ?? 'text');
  if (opts.get('version') === true) {
    writeOut(`tsmachine-oci version ${VERSION}\nspec: ${OCI_VERSION}\n`);
    return 0;
  }
  const verb = rest[0];
  if (verb === undefined || opts.get('help') === true || verb === 'help') {
    writeOut(`${usage()}\n`);
    return verb === undefined && opts.get('help') !== true ? EXIT_FAILURE : 0;
  }
  const cmd = COMMANDS[verb];
  const ctx: OciContext = {
    store: new OciStore((opts.get('root') as string | undefined) ?? DEFAULT_OCI_ROOT),
    systemdCgroup: opts.get('systemd-cgroup') === true,
    out: (text) => writeOut(text),
    warn: (line) => {
      printErr(`tsmachine-oci: warning: ${line}\n`);
      log('warning', line);
    },
  };
  try {
    if (!cmd) throw new UsageError(`unknown command '${verb}' (see 'tsmachine-oci --help')`);
    const args = parseArgs(rest.slice(1), [...cmd.options, { long: 'help', short: 'h', kind: 'flag', help: 'show this help' }], cmd.maxPositionals);
    if (flag(args, 'help')) {
      writeOut(`usage: ${cmd.usage}\n\n${cmd.summary}\n${cmd.options.length ? `\noptions:\n${formatOptions(cmd.options)}\n` : ''}`);
      return 0;
    }
    return await cmd.run(args, ctx);
  } catch (e) {
    const where = [cmd ? verb : null, ctx.subject].filter(Boolean).join(' ');
    const msg = e instanceof TsmError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`;
    printErr(`tsmachine-oci: ${where ? `${where}: ` : ''}${msg}\n`);
    log('error', `${where ? `${where}: ` : ''}${msg}`);
    if (opts.get('debug') === true && e instanceof Error) printErr(`${e.stack}\n`);
    return EXIT_FAILURE;
  }
}

/** Global flags up to the verb. */
function parseGlobals(argv: string[]): { opts: Map<string, string | true>; rest: string[] } {
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

/** As tsmachine's main: _exit once done, no teardown of V8 (the binding is loaded by then). */
function exit(code: number): never {
  if (bindingLoaded() && process.env.NODE_V8_COVERAGE === undefined && !process.getActiveResourcesInfo().some((r) => r.endsWith('WriteWrap'))) {
    process.exitCode = code;
    process.emit('exit', code);
    exitNowIfLoaded(code);
  }
  process.exit(code);
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (e: unknown) => { printErr(`tsmachine-oci: internal error: ${String(e)}\n`); process.exit(EXIT_FAILURE); },
);
