import { childProcess } from '../builtins.js';
import { existsSync } from 'node:fs';
import { NetworkError } from './errors.js';
import { nftRunInProcess, type NftOutcome } from '../kernel/index.js';
import { type TableListing, parseListing, tableDeleteBatch } from './nft.js';

/** Debian installs nft in /usr/sbin, which a non-login PATH may lack. */
function nftBinary(): string {
  return existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';
}

/** `nft [-j] -f -`: the fallback when libnftables cannot be loaded. */
function execNft(commands: string, json: boolean): Promise<NftOutcome> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(nftBinary(), [...(json ? ['-j'] : []), '-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new NetworkError('nft not found: install nftables') : new NetworkError(`nft: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      resolve({ ok: code === 0, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined); // nft exited early; its stderr says why
    child.stdin.end(commands);
  });
}

/**
 * One transaction: in process through libnftables (the library the nft
 * binary is a thin wrapper of, opened by the native binding; Debian's
 * nftables depends on libnftables1), else one nft process. One exec of nft
 * costs more than the rest of a container's network setup together, and
 * teardown needs two. The library talks netlink to
 * nf_tables in the caller's own netns: no namespace change in Node.
 */
async function nft(commands: string, json = false): Promise<NftOutcome> {
  return nftRunInProcess(commands, json) ?? (await execNft(commands, json));
}

/** The first line of nft's complaint, for a one-line error. */
function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'failed';
}

const ABSENT = /No such file or directory|does not exist/i;

/** Applies a batch atomically. */
export async function nftApply(batch: string, what: string): Promise<void> {
  const r = await nft(batch);
  if (!r.ok) throw new NetworkError(`nft (${what}): ${firstLine(r.stderr)}`);
}

/** The table's chains and rules, or null when the table does not exist. */
export async function nftListTable(table: string): Promise<TableListing | null> {
  const r = await nft(`list table inet ${table}`, true);
  if (!r.ok) {
    if (ABSENT.test(r.stderr)) return null;
    throw new NetworkError(`nft list table inet ${table}: ${firstLine(r.stderr)}`);
  }
  return parseListing(r.stdout);
}

/** Deletes our two tables (inet and bridge NAME) in one transaction; absent is fine. */
export async function nftDeleteTable(table: string): Promise<void> {
  const r = await nft(tableDeleteBatch(table));
  if (!r.ok && !ABSENT.test(r.stderr)) throw new NetworkError(`nft delete table inet/bridge ${table}: ${firstLine(r.stderr)}`);
}
