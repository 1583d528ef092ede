/**
 * The .rpm (issue 6): its file list and scriptlets as rpm reads them, then
 * installed into the Debian guest with `rpm -i --nodeps` (Debian's rpm has no
 * database of the dpkg-installed dependencies, hence --nodeps; and it wants
 * --force-debian to install at all), run as tsmachine@NAME.service, and
 * erased: the running instance stopped, the files gone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { machines, ok, packageFile, packageTestsSkip, removePackages, run, sh, unitProperty, TEMPLATE, TRAP_PAYLOAD,
} from '../integration/helpers.js';

const skip = packageTestsSkip();
const NAME = 'rpmsvc';
const UNIT = `tsmachine@${NAME}.service`;
const BIN = '/usr/bin/tsmachine';

before(async () => { if (!skip) await removePackages(); });
after(async () => {
  if (skip) return;
  if (existsSync(BIN)) {
    await run('systemctl', ['stop', UNIT], { timeoutMs: 90_000 });
    await run(BIN, ['rm', '--force', NAME], { timeoutMs: 60_000 });
  }
  await removePackages();
  // rpm has no purge: what tsmachine kept for this test goes by hand
  rmSync(`/etc/tsmachine/${NAME}.tsmachine`, { force: true });
  rmSync(`/var/lib/tsmachine/containers/${NAME}`, { recursive: true, force: true });
});

test('rpm -qlp: the program, its native binding, the unit, man pages, completion, license; no npm modules', { skip }, async () => {
  const files = ok(await run('rpm', ['-qlp', packageFile('rpm')]), 'rpm -qlp').split('\n');
  for (const f of ['/usr/bin/tsmachine', '/usr/bin/tsmachine-oci', '/usr/lib/tsmachine/dist/tsmachine-oci.cjs', '/usr/lib/tsmachine/bin/tsmachine-oci.cjs', '/usr/share/man/man1/tsmachine-oci.1.gz', '/usr/lib/tsmachine/dist/tsmachine.cjs', '/usr/lib/tsmachine/bin/tsmachine.cjs', '/usr/lib/tsmachine/native/build/tsmachine.node',
    '/usr/lib/tsmachine/native/build/tsm-monitor',
    '/usr/lib/systemd/system/tsmachine@.service', '/usr/share/man/man1/tsmachine.1.gz', '/usr/share/man/man5/tsmachine.tsmachine.5.gz',
    '/usr/share/bash-completion/completions/tsmachine', '/usr/share/licenses/tsmachine/copyright', '/etc/tsmachine',
    '/etc/containers/containers.conf.d/50-tsmachine.conf']) {
    assert.ok(files.includes(f), `rpm -qlp lists ${f}`);
  }
  assert.ok(!files.some((f) => f.includes('/node_modules/')), 'no npm modules: the native binding is our own');
  const requires = ok(await run('rpm', ['-qp', '--requires', packageFile('rpm')]), 'rpm -qp --requires');
  for (const r of [/^nodejs >= 18$/m, /^systemd$/m, /^systemd-container$/m]) assert.match(requires, r);
});

test('rpm -qp --scripts: reload on install and erase, stop and disable the instances on erase only', { skip }, async () => {
  const scripts = ok(await run('rpm', ['-qp', '--scripts', packageFile('rpm')]), 'rpm -qp --scripts');
  const part = (name: string): string => scripts.split(/^(?=\w+ scriptlet)/m).find((s) => s.startsWith(`${name} scriptlet`)) ?? '';
  assert.match(part('postinstall'), /systemctl --system daemon-reload/);
  assert.match(part('preuninstall'), /if \[ "\$1" -eq 0 \]/, 'on erase, not upgrade');
  assert.match(part('preuninstall'), /systemctl stop 'tsmachine@\*\.service'/);
  assert.match(part('preuninstall'), /\.wants\/tsmachine@\*\.service/);
  assert.match(part('postuninstall'), /daemon-reload/);
  for (const s of ['postinstall', 'preuninstall', 'postuninstall']) {
    const body = part(s).split('\n').slice(1).join('\n');
    ok(await run('sh', ['-n'], { input: body }), `${s} scriptlet parses with sh -n`);
  }
});

test('rpm -i --nodeps: runs as tsmachine@rpmsvc.service; rpm -e stops it and removes the files', { skip }, async () => {
  ok(await sh(`rpm -i --nodeps --force-debian '${packageFile('rpm')}'`, { timeoutMs: 180_000 }), 'rpm -i');
  assert.match(ok(await run('rpm', ['-q', 'tsmachine']), 'rpm -q'), /^tsmachine-\d/);
  assert.match(unitProperty(UNIT, 'FragmentPath'), TEMPLATE, '%post reloaded systemd');
  ok(await run('rpm', ['-V', '--nodeps', 'tsmachine']), 'rpm -V: the installed files are the package\'s');

  mkdirSync('/etc/tsmachine', { recursive: true });
  writeFileSync(`/etc/tsmachine/${NAME}.tsmachine`, `${TRAP_PAYLOAD}[Files]\nImage=httpd\n\n[Network]\nMode=none\n`);
  ok(await run('systemctl', ['enable', '--now', UNIT], { timeoutMs: 120_000 }), `systemctl enable --now ${UNIT}`);
  assert.equal(unitProperty(UNIT, 'ActiveState'), 'active');
  const leader = Number(ok(await run('machinectl', ['show', '-p', 'Leader', '--value', NAME]), 'machinectl show'));
  assert.equal(Number(unitProperty(UNIT, 'MainPID')), leader);
  assert.equal(ok(await run('machinectl', ['show', '-p', 'Unit', '--value', NAME]), 'machinectl Unit').trim(), UNIT);
  const page = ok(await run(BIN, ['exec', NAME, 'wget', '-qO-', 'http://127.0.0.1/'], { timeoutMs: 60_000 }), 'exec wget');
  assert.match(page, /Hello from a tsmachine container/);

  ok(await run('rpm', ['-e', 'tsmachine'], { timeoutMs: 180_000 }), 'rpm -e');
  assert.notEqual((await run('rpm', ['-q', 'tsmachine'])).code, 0);
  assert.notEqual(unitProperty(UNIT, 'ActiveState'), 'active', 'the instance was stopped');
  assert.ok(!existsSync(`/proc/${leader}`), 'the payload is gone');
  assert.ok(!(await machines()).some((m) => m.machine === NAME), 'machine gone');
  for (const f of [BIN, '/usr/lib/tsmachine', '/usr/lib/systemd/system/tsmachine@.service', `/etc/systemd/system/machines.target.wants/${UNIT}`]) {
    assert.ok(!existsSync(f), `${f} removed`);
  }
  assert.notEqual(unitProperty(UNIT, 'LoadState'), 'loaded', '%postun reloaded systemd');
});
