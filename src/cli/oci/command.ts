import { UsageError } from '../../errors.js';
import type { OptionSpec, Parsed } from '../args.js';
import type { OciStore } from '../../runtime/oci/store.js';

/** What the global flags decided, for every verb. */
export interface OciContext {
  store: OciStore;
  systemdCgroup: boolean;
  /** Set once the ID is known: the error prefix "tsmachine-oci: create ID: ...". */
  subject?: string;
  out(text: string): void;
  warn(line: string): void;
}

export interface OciCommand {
  usage: string;
  summary: string;
  options: OptionSpec[];
  maxPositionals?: number;
  /** Returns the exit status. */
  run(args: Parsed, ctx: OciContext): Promise<number> | number;
}

/** The container ID every verb but `features` takes first. */
export function containerId(p: Parsed, ctx: OciContext, maxPositionals = 1): string {
  const id = p.positionals[0];
  if (!id) throw new UsageError('a container ID is required');
  ctx.subject = id;
  if (p.positionals.length > maxPositionals) throw new UsageError(`unexpected argument '${p.positionals[maxPositionals]}'`);
  return id;
}

/** --preserve-fds N. */
export function preserveFds(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) > 65536) throw new UsageError(`--preserve-fds '${text}' is not a number of file descriptors`);
  return Number(text);
}
