import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NetworkError } from './errors.js';
import { type TableListing, parseListing } from './nft.js';

/** Debian installs nft in /usr/sbin, which a non-login PATH may lack. */
function nftBinary(): string {
  return existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], input: string | null): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(nftBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new NetworkError('nft not found: install nftables') : new NetworkError(`nft: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined); // nft exited early; its stderr says why
    child.stdin.end(input ?? '');
  });
}

/** The first line of nft's complaint, for a one-line error. */
function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'failed';
}

/** Applies a batch atomically with one `nft -f -`. */
export async function nftApply(batch: string, what: string): Promise<void> {
  const r = await run(['-f', '-'], batch);
  if (r.code !== 0) throw new NetworkError(`nft (${what}): ${firstLine(r.stderr)}`);
}

/** The table's chains and rules, or null when the table does not exist. */
export async function nftListTable(table: string): Promise<TableListing | null> {
  const r = await run(['-j', 'list', 'table', 'inet', table], null);
  if (r.code !== 0) {
    if (/No such file or directory|does not exist/i.test(r.stderr)) return null;
    throw new NetworkError(`nft list table inet ${table}: ${firstLine(r.stderr)}`);
  }
  return parseListing(r.stdout);
}

/** Deletes the whole table (ours alone); absent is fine. */
export async function nftDeleteTable(table: string): Promise<void> {
  const r = await run(['delete', 'table', 'inet', table], null);
  if (r.code !== 0 && !/No such file or directory|does not exist/i.test(r.stderr)) {
    throw new NetworkError(`nft delete table inet ${table}: ${firstLine(r.stderr)}`);
  }
}
