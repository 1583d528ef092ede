/**
 * Settings files of the installed package (issue 6): /etc/tsmachine/web.tsmachine
 * sets the limits and the payload of `tsmachine start web` and of
 * tsmachine@web.service alike, as systemd sees them (the unit's memory.max);
 * a bad value fails in one line naming FILE:LINE; `tsmachine config` says
 * where each value came from.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cgroupFile, installDeb, machines, ok, packageTestsSkip, removePackages, run, unitProperty, waitUntil } from '../integration/helpers.js';

const skip = packageTestsSkip();
const BIN = '/usr/bin/tsmachine';
const NAME = 'web';
const BAD = 'webbad';
const FILE = `/etc/tsmachine/${NAME}.tsmachine`;
const BAD_FILE = `/etc/tsmachine/${BAD}.tsmachine`;
const SETTINGS = [
  '# test/integration/settings-web.test.ts', //       1
  '[Exec]', //                                        2
  'Environment=GREETING=hello-from-settings', //      3
  'Parameters=/bin/sh -c "trap \'exit 0\' TERM; echo $GREETING; /bin/busybox httpd -f -v -p 80 -h /www & wait"', // 4
  '', //                                              5
  '[Files]', //                                       6
  'Image=httpd', //                                   7
  '', //                                              8
  '[Network]', //                                     9
  'Mode=none', //                                    10
  '', //                                             11
  '[Resources]', //                                  12
  'MemoryMax=96M', //                                13
  'TasksMax=64', //                                  14
  '',
].join('\n');

before(async () => {
  if (skip) return;
  await installDeb();
  mkdirSync('/etc/tsmachine', { recursive: true });
  writeFileSync(FILE, SETTINGS);
});
after(async () => {
  if (skip) return;
  await run('systemctl', ['stop', `tsmachine@${NAME}.service`, `tsmachine@${BAD}.service`], { timeoutMs: 90_000 });
  await run('systemctl', ['reset-failed', `tsmachine@${BAD}.service`]);
  if (existsSync(BIN)) for (const n of [NAME, BAD]) await run(BIN, ['rm', '--force', n], { timeoutMs: 60_000 });
  rmSync(FILE, { force: true });
  rmSync(BAD_FILE, { force: true });
  await removePackages();
});

test('tsmachine config web: each value and where it came from', { skip }, async () => {
  const out = ok(await run(BIN, ['config', NAME]), 'tsmachine config');
  assert.match(out, new RegExp(`^settings file: ${FILE}$`, 'm'));
  assert.match(out, new RegExp(`^memory = "96M" +\\(${FILE}:13\\)$`, 'm'), out);
  assert.match(out, new RegExp(`^pidsLimit = "64" +\\(${FILE}:14\\)$`, 'm'), out);
  assert.match(out, new RegExp(`^image = "httpd" +\\(${FILE}:7\\)$`, 'm'), out);
  assert.match(out, new RegExp(`^network = "none" +\\(${FILE}:10\\)$`, 'm'), out);
  const json = JSON.parse(ok(await run(BIN, ['config', NAME, '--json']), 'config --json')) as { origins: Record<string, string> };
  assert.equal(json.origins.memory, `${FILE}:13`);
  assert.equal(json.origins.command, `${FILE}:4`);
});

test('tsmachine start web: memory.max of its scope is 96M, the [Exec] payload runs', { skip }, async () => {
  ok(await run(BIN, ['start', NAME], { timeoutMs: 90_000 }), 'tsmachine start web');
  const unit = `tsmachine-${NAME}.scope`;
  assert.equal(cgroupFile(unit, 'memory.max'), '100663296');
  assert.equal(cgroupFile(unit, 'pids.max'), '64');
  assert.equal(unitProperty(unit, 'MemoryMax'), '100663296');
  await waitUntil('the payload\'s echo of $GREETING in the journal', async () =>
    /hello-from-settings/.test((await run('journalctl', ['-u', unit, '-o', 'cat', '--no-pager'])).stdout), { timeoutMs: 15_000, intervalMs: 500 });
  ok(await run(BIN, ['stop', NAME], { timeoutMs: 60_000 }), 'tsmachine stop web');
});

test('tsmachine@web.service: the same limits on the service\'s own cgroup', { skip }, async () => {
  const unit = `tsmachine@${NAME}.service`;
  ok(await run('systemctl', ['start', unit], { timeoutMs: 120_000 }), `systemctl start ${unit}`);
  assert.equal(unitProperty(unit, 'ActiveState'), 'active');
  assert.equal(cgroupFile(unit, 'memory.max'), '100663296');
  assert.equal(cgroupFile(unit, 'pids.max'), '64');
  assert.ok((await machines()).some((m) => m.machine === NAME));
  await waitUntil('the payload\'s echo in the service journal', async () =>
    /hello-from-settings/.test((await run('journalctl', ['-u', unit, '-o', 'cat', '--no-pager'])).stdout), { timeoutMs: 15_000, intervalMs: 500 });
  ok(await run('systemctl', ['stop', unit], { timeoutMs: 90_000 }), `systemctl stop ${unit}`);
  ok(await run(BIN, ['rm', NAME], { timeoutMs: 60_000 }), 'rm web');
});

test('an invalid value: one line naming FILE:LINE, nothing created; the service fails with the same line', { skip }, async () => {
  writeFileSync(BAD_FILE, '[Files]\nImage=httpd\n[Resources]\nMemoryMax=lots\n');
  const r = await run(BIN, ['start', BAD], { timeoutMs: 60_000 });
  assert.equal(r.code, 125);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^tsmachine: start ${BAD}: ${BAD_FILE}:4: MemoryMax=.*lots.*\\n$`), r.stderr);
  assert.equal(r.stderr.split('\n').length, 2, 'exactly one line');
  assert.ok(!existsSync(`/var/lib/tsmachine/containers/${BAD}`), 'no container created');
  assert.ok(!(await machines()).some((m) => m.machine === BAD));

  const unit = `tsmachine@${BAD}.service`;
  assert.notEqual((await run('systemctl', ['start', unit], { timeoutMs: 120_000 })).code, 0, 'the service fails to start');
  assert.equal(unitProperty(unit, 'ActiveState'), 'failed');
  const journal = (await run('journalctl', ['-u', unit, '-o', 'cat', '--no-pager'])).stdout;
  assert.match(journal, new RegExp(`${BAD_FILE}:4: MemoryMax=`), journal);
});
