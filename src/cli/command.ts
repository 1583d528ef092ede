import { UsageError } from '../errors.js';
import { machineNameProblem } from '../config/spec.js';
import { str, type OptionSpec, type Parsed } from './args.js';

/** Shared by every verb: how it parses and what it needs from the process. */
export interface CommandContext {
  /** Set once the container name is known, for the error prefix "tsmachine: start httpd: ...". */
  subject?: string;
  out(line: string): void;
}

export interface Command {
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Words after which the rest is a payload command (exec: 1). */
  maxPositionals?: number;
  /** Returns the exit status. */
  run(args: Parsed, ctx: CommandContext): Promise<number>;
}

export const HELP: OptionSpec = { long: 'help', short: 'h', kind: 'flag', help: 'show this help' };

/**
 * The container NAME every per-container verb takes first; it becomes the
 * subject of error lines ("tsmachine: stop web: ...").
 */
export function containerName(p: Parsed, ctx: CommandContext, opts: { only?: boolean } = {}): string {
  const name = p.positionals[0];
  if (!name) throw new UsageError('a container name is required');
  ctx.subject = name;
  if (opts.only && p.positionals.length > 1) throw new UsageError(`unexpected argument '${p.positionals[1]}'`);
  return name;
}

/** stop's and restart's grace period before SIGKILL. */
export const TIME_OPTION: OptionSpec = { long: 'time', short: 't', kind: 'value', arg: 'S', help: 'seconds to wait before SIGKILL (default 10)' };

/** The --time value in seconds (default 10, docker's). */
export function stopSeconds(p: Parsed): number {
  const text = str(p, 'time');
  if (text === undefined) return 10;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`--time '${text}' is not a number of seconds`);
  return Number(text);
}

/** A NAME that must be a valid machine name before anything is asked of systemd (tsmachine@NAME.service is made from it). */
export function machineNameArg(p: Parsed, ctx: CommandContext): string {
  const name = containerName(p, ctx, { only: true });
  const problem = machineNameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}
