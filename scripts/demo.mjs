#!/usr/bin/env node
// npm run demo: the main job on a machine without systemd. Boots a throwaway
// systemd VM (vm/), and inside it runs `tsmachine start httpd`, then
// shows what systemd and the kernel see: machinectl, systemd-cgls, the
// scope's limits (set live with `tsmachine update`), and the page.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JOB = '.tsmvm/demo';

const { BUILD, VM, ensureHostPackages } = await import('./setup-host.mjs');
await ensureHostPackages([...BUILD, ...VM]);
if (spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit', cwd: ROOT }).status !== 0) process.exit(1);

const script = String.raw`
set -u
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
t() { printf '\n$ %s\n' "$*"; "$@"; }
T=/mnt/host/bin/tsmachine.cjs
tsmachine() { $T "$@"; }
printf '\n$ tsmachine start httpd\n'; s0=$(date +%s%N); tsmachine start httpd; rc=$?; s1=$(date +%s%N)
echo "(exit $rc, $(( (s1-s0)/1000000 )) ms including node start in the emulated VM)"
[ $rc = 0 ] || exit $rc
t machinectl list --no-pager
t machinectl status httpd --no-pager -n 0
t systemd-cgls --no-pager -u machine.slice
printf '\n$ tsmachine update httpd --memory 128M --cpus 0.5 --pids-limit 64\n'; tsmachine update httpd --memory 128M --cpus 0.5 --pids-limit 64
C=/sys/fs/cgroup/machine.slice/tsmachine-httpd.scope
for f in memory.max cpu.max pids.max; do echo "$C/$f: $(cat $C/$f)"; done
printf '\n$ tsmachine list\n'; tsmachine list
ADDR=$(tsmachine status httpd --json | sed -n 's/.*"\([0-9.]*\)\/[0-9]*".*/\1/p' | head -1)
printf '\n$ curl http://%s/\n' "$ADDR"; curl -sS --max-time 10 "http://$ADDR/"
printf '\n$ tsmachine logs httpd\n'; tsmachine logs httpd
printf '\n$ tsmachine stop httpd --time 2 && tsmachine rm httpd\n'; tsmachine stop httpd --time 2 && tsmachine rm httpd
t machinectl list --no-pager
`;
mkdirSync(join(ROOT, JOB), { recursive: true });
writeFileSync(join(ROOT, JOB, 'run.sh'), script);
const { ensureImage } = await import('../vm/image.mjs');
const { bootVm } = await import('../vm/boot.mjs');
const { dir } = await ensureImage({ log: (m) => console.error(`[vm] ${m}`) });
const r = await bootVm({ image: dir, share: ROOT, job: JOB, jobTimeoutS: 600 });
console.error(`[vm] boot ${r.bootS.toFixed(1)}s, demo ${r.jobS.toFixed(1)}s`);
if (!r.ok) {
  console.error(`[vm] ${r.error}\n--- console (last 40 lines) ---\n${r.consoleTail}`);
  process.exit(125);
}
process.exit(r.rc);
