import { appendFileSync } from 'node:fs';
import { TsmError, UsageError } from '../../errors.js';
import { exitProcess } from '../exit.js';
import { formatOptions, parseArgs, flag } from '../args.js';
import { printErr, writeBytes } from '../output.js';
import { OciStore, DEFAULT_OCI_ROOT } from '../../runtime/oci/store.js';
import type { OciCommand, OciContext } from './command.js';
import { GLOBALS, parseGlobals } from './globals.js';
import { trace } from '../../runtime/trace.js';
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
  trace('node-start+bundle');
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
    // create's stderr is the container's (conmon logs it): with --log, warnings go there only, as runc's.
    warn: (line) => {
      if (opts.get('log') === undefined) printErr(`tsmachine-oci: warning: ${line}\n`);
      else log('warning', line);
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

/** As tsmachine's main: _exit once done, no teardown of V8 (the binding is loaded by then). */
function exit(code: number): never {
  exitProcess(code, process.env.NODE_V8_COVERAGE !== undefined);
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (e: unknown) => { printErr(`tsmachine-oci: internal error: ${String(e)}\n`); process.exit(EXIT_FAILURE); },
);
