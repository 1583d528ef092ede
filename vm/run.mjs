#!/usr/bin/env node
// Run one command in a fresh test VM, for debugging and for trying things
// against a real systemd by hand:
//   node vm/run.mjs [--timeout S] [--conservative] -- systemctl status machine.slice
// The command runs as root with cwd /mnt/host (this checkout); its output is
// streamed and its exit status becomes ours. Builds the image if needed.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImage } from './image.mjs';
import { bootVm } from './boot.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JOB = '.tsmvm/run';

let args = process.argv.slice(2);
let timeout = 1800;
let conservative = false; // boot.mjs: a named CPU model and one TCG thread
for (;;) {
  if (args[0] === '--timeout') { timeout = Number(args[1]); args = args.slice(2); }
  else if (args[0] === '--conservative') { conservative = true; args = args.slice(1); }
  else break;
}
if (args[0] === '--') args = args.slice(1);
if (args.length === 0 || !(timeout > 0)) {
  console.error('usage: node vm/run.mjs [--timeout SECONDS] [--conservative] -- COMMAND [ARG...]');
  process.exit(2);
}

const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
mkdirSync(join(ROOT, JOB), { recursive: true });
writeFileSync(join(ROOT, JOB, 'run.sh'), `export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\n${args.map(quote).join(' ')}\n`);

const { dir } = await ensureImage({ log: (m) => console.error(`[vm] ${m}`) });
const r = await bootVm({ image: dir, share: ROOT, job: JOB, jobTimeoutS: timeout, conservative });
console.error(`[vm] boot ${r.bootS.toFixed(1)}s, job ${r.jobS.toFixed(1)}s`);
if (!r.ok) {
  console.error(`[vm] ${r.error}\n--- console (last 40 lines) ---\n${r.consoleTail}`);
  process.exit(125);
}
process.exit(r.rc);
