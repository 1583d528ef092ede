#!/usr/bin/env node
// npm run bench: builds, boots the test VM once and runs bench/guest.mjs in
// it (a real systemd, with systemd-nspawn beside tsmachine on the same
// rootfs). On a systemd host: `sudo node bench/guest.mjs`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JOB = '.tsmvm/bench';
const { BUILD, VM, ensureHostPackages } = await import('./setup-host.mjs');
await ensureHostPackages([...BUILD, ...VM]);
if (spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit', cwd: ROOT }).status !== 0) process.exit(1);
mkdirSync(join(ROOT, JOB), { recursive: true });
writeFileSync(join(ROOT, JOB, 'run.sh'), 'export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\nnode /mnt/host/bench/guest.mjs\n');
const { ensureImage } = await import('../vm/image.mjs');
const { bootVm } = await import('../vm/boot.mjs');
const { dir } = await ensureImage({ log: (m) => console.error(`[vm] ${m}`) });
const r = await bootVm({ image: dir, share: ROOT, job: JOB, jobTimeoutS: 1800 });
console.error(`[vm] boot ${r.bootS.toFixed(1)}s, bench ${r.jobS.toFixed(1)}s`);
if (!r.ok) { console.error(`[vm] ${r.error}\n${r.consoleTail}`); process.exit(125); }
process.exit(r.rc);
