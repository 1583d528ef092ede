import { TsmError, UsageError } from '../errors.js';
import { trace } from '../runtime/trace.js';
import { exitProcess } from './exit.js';
import { formatOptions, parseArgs, flag } from './args.js';
import { printErr, printOut } from './output.js';
import type { Command, CommandContext } from './command.js';
import { start } from './commands/start.js';
import { run } from './commands/run.js';
import { stop } from './commands/stop.js';
import { kill } from './commands/kill.js';
import { rm } from './commands/rm.js';
import { restart } from './commands/restart.js';
import { exec } from './commands/exec.js';
import { listCmd } from './commands/list.js';
import { status } from './commands/status.js';
import { logs } from './commands/logs.js';
import { update } from './commands/update.js';
import { images } from './commands/images.js';
import { importCmd } from './commands/import.js';
import { rmi } from './commands/rmi.js';
import { image } from './commands/image.js';
import { config } from './commands/config.js';
import { enable } from './commands/enable.js';
import { disable } from './commands/disable.js';

/** Exit status when tsmachine itself fails (docker/podman use the same). */
const EXIT_FAILURE = 125;

const COMMANDS: Record<string, Command> = {
  start, run, stop, kill, rm, restart, exec, list: listCmd, status, logs, update, images, import: importCmd, rmi, image, config, enable, disable,
};
const ALIASES: Record<string, string> = { ps: 'list', inspect: 'status' };

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: tsmachine COMMAND [options] [NAME] ...',
    '',
    'Containers on systemd: each one a transient scope in machine.slice, registered with systemd-machined.',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'tsmachine COMMAND --help' for a command's options.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  trace('node-start+bundle');
  const out = printOut;
  const verb = argv[0];
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    out(usage());
    return verb === undefined ? EXIT_FAILURE : 0;
  }
  if (verb === '--version') { out('tsmachine 0.1.0'); return 0; }
  const name = ALIASES[verb] ?? verb;
  const cmd = COMMANDS[name];
  const ctx: CommandContext = { out };
  try {
    if (!cmd) throw new UsageError(`unknown command '${verb}' (see 'tsmachine --help')`);
    const args = parseArgs(argv.slice(1), cmd.options, cmd.maxPositionals);
    if (flag(args, 'help')) {
      out(`usage: ${cmd.usage}\n\n${cmd.summary}\n\noptions:\n${formatOptions(cmd.options)}`);
      return 0;
    }
    return await cmd.run(args, ctx);
  } catch (e) {
    const where = [cmd ? name : null, ctx.subject].filter(Boolean).join(' ');
    const msg = e instanceof TsmError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`;
    printErr(`tsmachine: ${where ? `${where}: ` : ''}${msg}\n`);
    if (process.env.TSMACHINE_DEBUG && e instanceof Error) printErr(`${e.stack}\n`);
    return EXIT_FAILURE;
  }
}

/** Teardown matters with flags other than the command's own (bin/tsmachine.cjs's first line) or coverage. */
const OWN_NODE_FLAGS = /^--(jitless|no-expose-wasm|preserve-symlinks-main)$/;

function exit(code: number): never {
  exitProcess(code, process.execArgv.some((f) => !OWN_NODE_FLAGS.test(f)) || process.env.NODE_V8_COVERAGE !== undefined);
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (e: unknown) => { printErr(`tsmachine: internal error: ${String(e)}\n`); process.exit(EXIT_FAILURE); },
);
