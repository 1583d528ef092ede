// --lxcfs: the option's parsing (flag and LXCFS=), and the bind list built
// from a listing of lxcfs's mount. The mounts themselves are checked in the
// VM (test/integration/proc-view.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLxcfsMode } from '../../src/config/lxcfs.js';
import { SpecError, validateSpec } from '../../src/config/spec.js';
import { parseSettings } from '../../src/config/settings/apply.js';
import { LXCFS_PROC_FILES, ProcViewError, lxcfsMountKey, probeLxcfs, procViewBinds, procViewFor } from '../../src/runtime/proc-view.js';

const env = { onlineCpus: [0], exists: () => true, deviceKind: () => null };

test('--lxcfs / LXCFS=: auto, or a boolean in any of systemd\'s spellings', () => {
  const table: Array<[string, string | null]> = [
    ['auto', 'auto'], ['AUTO', 'auto'], ['yes', 'yes'], ['on', 'yes'], ['1', 'yes'], ['true', 'yes'],
    ['no', 'no'], ['off', 'no'], ['0', 'no'], ['false', 'no'],
    ['', null], ['maybe', null], ['required', null],
  ];
  for (const [text, want] of table) {
    const r = parseLxcfsMode(text);
    assert.deepEqual(r.ok ? r.value : null, want, text);
  }
});

test('the spec keeps a non-default mode; auto (the default) is left out, so older specs read the same', () => {
  assert.equal(validateSpec('a', {}, env).lxcfs, undefined);
  assert.equal(validateSpec('a', { lxcfs: 'auto' }, env).lxcfs, undefined);
  assert.equal(validateSpec('a', { lxcfs: 'yes' }, env).lxcfs, 'yes');
  assert.equal(validateSpec('a', { lxcfs: 'off' }, env).lxcfs, 'no');
  assert.throws(() => validateSpec('a', { lxcfs: 'maybe' }, env), (e) => e instanceof SpecError && e.message === "--lxcfs 'maybe' is not auto, yes or no");
  assert.throws(() => validateSpec('a', { lxcfs: 'maybe' }, env, { lxcfs: 'web.tsmachine:3: LXCFS=' }), /^SpecError: web\.tsmachine:3: LXCFS= 'maybe'/);
});

test('LXCFS= in [Files]: last one wins, an empty one resets it, a bad one names its line', () => {
  const s = parseSettings('[Files]\nLXCFS=no\nLXCFS=on\n', 'web.tsmachine');
  assert.equal(s.options.lxcfs, 'yes');
  assert.equal(s.origins.lxcfs, 'web.tsmachine:3');
  assert.equal(parseSettings('[Files]\nLXCFS=no\nLXCFS=\n', 'w').options.lxcfs, undefined);
  assert.throws(() => parseSettings('[Files]\n\nLXCFS=sometimes\n', 'web.tsmachine'), /web\.tsmachine:3: LXCFS= 'sometimes' is not auto, yes or no/);
  assert.deepEqual(parseSettings('[Exec]\nLXCFS=yes\n', 'w').warnings, ["w:2: unknown key 'LXCFS' in [Exec], ignoring"]);
});

test('the bind list: the /proc files lxcfs serves that the host has, then cpu/online; all read-only, in a fixed order', () => {
  const all = { proc: ['uptime', 'swaps', 'stat', 'slabinfo', 'meminfo', 'loadavg', 'diskstats', 'cpuinfo'], cpuOnline: true };
  const binds = procViewBinds('/var/lib/lxcfs', all, () => true);
  assert.deepEqual(binds.map((b) => b.target), [
    '/proc/meminfo', '/proc/cpuinfo', '/proc/stat', '/proc/uptime', '/proc/loadavg', '/proc/diskstats', '/proc/swaps', '/proc/slabinfo',
    '/sys/devices/system/cpu/online',
  ]);
  assert.ok(binds.every((b) => b.readonly && b.source === `/var/lib/lxcfs${b.target}`));

  // A kernel without /proc/slabinfo (no SLUB debugging): not bound, init could not create it in procfs.
  const noSlab = procViewBinds('/x', all, (p) => p !== '/proc/slabinfo');
  assert.equal(noSlab.length, 8);
  assert.ok(!noSlab.some((b) => b.target === '/proc/slabinfo'));

  // Files a newer lxcfs may add are not bound unasked; an lxcfs without cpu/online gives the /proc files only.
  const partial = procViewBinds('/x', { proc: ['meminfo', 'pressure', 'cpuinfo'], cpuOnline: false }, () => true);
  assert.deepEqual(partial.map((b) => b.source), ['/x/proc/meminfo', '/x/proc/cpuinfo']);
  assert.deepEqual(procViewBinds('/x', { proc: [], cpuOnline: false }, () => true), []);
  assert.equal(LXCFS_PROC_FILES.length, 8);
});

const MOUNTINFO = [
  '22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw',
  '40 22 0:39 / /var/lib/lxcfs rw,nosuid,nodev,relatime shared:20 - fuse.lxcfs lxcfs rw,user_id=0,group_id=0,allow_other',
].join('\n');

test('the mount table says whether lxcfs is mounted, and which mount: the topmost fuse.lxcfs on the directory', () => {
  assert.equal(lxcfsMountKey(MOUNTINFO, '/var/lib/lxcfs'), '40 0:39');
  assert.equal(lxcfsMountKey(MOUNTINFO, '/var/lib'), null);
  assert.equal(lxcfsMountKey(MOUNTINFO.split('\n')[0]!, '/var/lib/lxcfs'), null, 'not mounted');
  // A dead mount left under a new one (lxcfs restarted without its unmount): the new one counts.
  const stacked = `${MOUNTINFO}\n51 40 0:52 / /var/lib/lxcfs rw,nosuid,nodev,relatime shared:30 - fuse.lxcfs lxcfs rw,user_id=0,group_id=0,allow_other\n`;
  assert.equal(lxcfsMountKey(stacked, '/var/lib/lxcfs'), '51 0:52');
  // Older lxcfs (and fuse2) name the type fuse with source lxcfs; another FUSE file system there is not lxcfs.
  assert.equal(lxcfsMountKey('40 22 0:39 / /var/lib/lxcfs rw - fuse lxcfs rw', '/var/lib/lxcfs'), '40 0:39');
  assert.equal(lxcfsMountKey('40 22 0:39 / /var/lib/lxcfs rw - fuse.sshfs host:/x rw', '/var/lib/lxcfs'), null);
  assert.equal(lxcfsMountKey('40 22 0:39 / /var/lib/lxcfs rw shared:2 master:3 - fuse.lxcfs lxcfs rw', '/var/lib/lxcfs'), '40 0:39', 'optional fields before the separator');
});

function fakeHost(dir: string, mounted: () => string | null) {
  let cache: { key: string; listing: { proc: readonly string[]; cpuOnline: boolean } } | null = null;
  let writes = 0;
  const host = {
    dir,
    mountinfo: () => { const key = mounted(); return key === null ? '' : `${key.split(' ')[0]} 1 ${key.split(' ')[1]} / ${dir} rw - fuse.lxcfs lxcfs rw`; },
    readCache: () => cache,
    writeCache: (c: NonNullable<typeof cache>) => { cache = c; writes++; },
  };
  return { host, writes: () => writes, setCache: (c: typeof cache) => { cache = c; } };
}

test('probe: no proc/ or an empty one (lxcfs stopped) is null; a mounted tree is listed; modes auto, yes, no; one listing per mount', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-lxcfs-'));
  try {
    assert.equal(probeLxcfs(join(dir, 'absent')), null);
    assert.equal(probeLxcfs(dir), null);
    mkdirSync(join(dir, 'proc'));
    assert.equal(probeLxcfs(dir), null, 'the mount point of a stopped lxcfs is an empty directory');

    let mount: string | null = null;
    const f = fakeHost(dir, () => mount);
    assert.deepEqual(await procViewFor('auto', f.host), { binds: [], active: false }, 'nothing mounted');
    await assert.rejects(procViewFor('yes', f.host), (e) => e instanceof ProcViewError && /systemctl enable --now lxcfs$/.test(e.message) && !e.message.includes('\n'));
    mount = '40 0:39';
    assert.deepEqual(await procViewFor('auto', f.host), { binds: [], active: false }, 'mounted but serving nothing');
    assert.equal(f.writes(), 0);
    // Serving only files we do not bind is no view either: yes refuses it.
    writeFileSync(join(dir, 'proc/pressure'), '');
    await assert.rejects(procViewFor('yes', f.host), ProcViewError);
    assert.deepEqual(await procViewFor('auto', f.host), { binds: [], active: false });
    f.setCache(null);
    rmSync(join(dir, 'proc/pressure'));

    writeFileSync(join(dir, 'proc/meminfo'), '');
    assert.deepEqual(probeLxcfs(dir), { proc: ['meminfo'], cpuOnline: false });
    mkdirSync(join(dir, 'sys/devices/system/cpu'), { recursive: true });
    writeFileSync(join(dir, 'sys/devices/system/cpu/online'), '');
    assert.deepEqual(probeLxcfs(dir), { proc: ['meminfo'], cpuOnline: true });
    const yes = await procViewFor('yes', f.host);
    assert.equal(yes.active, true);
    assert.deepEqual(yes.binds.map((b) => b.target), ['/proc/meminfo', '/sys/devices/system/cpu/online']);
    assert.equal(f.writes(), 2);
    assert.deepEqual(await procViewFor('no', f.host), { binds: [], active: false }, 'no: lxcfs is not even looked at');

    // The same mount again: the cached listing, without asking the daemon.
    writeFileSync(join(dir, 'proc/uptime'), '');
    assert.deepEqual((await procViewFor('auto', f.host)).binds.map((b) => b.target), ['/proc/meminfo', '/sys/devices/system/cpu/online']);
    assert.equal(f.writes(), 2);
    // A new mount (lxcfs restarted) is listed anew.
    mount = '51 0:52';
    assert.deepEqual((await procViewFor('auto', f.host)).binds.map((b) => b.target), ['/proc/meminfo', '/proc/uptime', '/sys/devices/system/cpu/online']);
    assert.equal(f.writes(), 3);
    // A cache file can only name known files under the lxcfs directory.
    f.setCache({ key: '51 0:52', listing: { proc: ['../../etc/shadow', 'meminfo'], cpuOnline: false } });
    assert.deepEqual((await procViewFor('auto', f.host)).binds, [{ source: `${dir}/proc/meminfo`, target: '/proc/meminfo', readonly: true }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
