/**
 * The .deb on a clean Debian 12 systemd host (issue 6): it installs with the
 * dependencies the guest has, runs on Debian's own node 18 (not the copy of
 * the host's node in /usr/local/bin), starts a container, and a purge takes
 * everything with it, stopping a running tsmachine@ instance first.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import {
  installDeb, machines, ok, packageFile, packageTestsSkip, removePackages, run, unitProperty, waitUntil,
  TEMPLATE, TRAP_PAYLOAD,
} from '../integration/helpers.js';

const skip = packageTestsSkip();
const NAME = 'debweb';      // started from the command line
const SVC = 'debsvc';       // enabled as tsmachine@debsvc.service, then purged under it
const BIN = '/usr/bin/tsmachine';

before(async () => { if (!skip) await installDeb({ fresh: true }); });
after(async () => {
  if (skip) return;
  if (existsSync(BIN)) {
    await run(BIN, ['rm', '--force', NAME]);
    await run('systemctl', ['disable', '--now', `tsmachine@${SVC}.service`]);
  }
  await removePackages();
  rmSync(`/etc/tsmachine/${SVC}.tsmachine`, { force: true });
});

test('dpkg -i: installed with the guest\'s packages, the unit known to systemd', { skip }, async () => {
  const status = ok(await run('dpkg-query', ['-W', '-f=${db:Status-Abbrev}${Version}', 'tsmachine']), 'dpkg-query');
  assert.match(status, /^ii +\d/, 'dpkg says installed, dependencies satisfied');
  // dpkg -s would say so too, but `dpkg --audit` is dpkg's own consistency check
  assert.equal(ok(await run('dpkg', ['--audit']), 'dpkg --audit').trim(), '');
  // postinst's daemon-reload: systemd knows the template from /usr/lib
  assert.match(unitProperty(`tsmachine@${NAME}.service`, 'FragmentPath'), TEMPLATE);
  assert.equal(unitProperty(`tsmachine@${NAME}.service`, 'LoadState'), 'loaded');
  // the files dpkg knows: shim, launcher, bundle, native binding and monitor, the unit, man pages
  const files = ok(await run('dpkg', ['-L', 'tsmachine']), 'dpkg -L');
  for (const f of [BIN, '/usr/bin/tsmachine-oci', '/usr/lib/tsmachine/dist/tsmachine-oci.cjs', '/usr/share/man/man1/tsmachine-oci.1.gz', '/usr/lib/tsmachine/dist/tsmachine.cjs', '/usr/lib/tsmachine/bin/tsmachine.cjs', '/usr/lib/tsmachine/native/build/tsmachine.node',
    '/usr/lib/tsmachine/native/build/tsm-monitor',
    '/usr/lib/systemd/system/tsmachine@.service', '/usr/share/man/man1/tsmachine.1.gz', '/etc/tsmachine',
    '/etc/containers/containers.conf.d/50-tsmachine.conf']) {
    assert.ok(files.split('\n').includes(f), `dpkg -L lists ${f}`);
  }
  assert.ok(!files.includes('/node_modules/'), 'no npm modules: the native binding is our own');
});

test('/usr/bin/tsmachine runs on Debian\'s /usr/bin/node (v18), not /usr/local/bin/node', { skip }, async () => {
  // The guest's PATH puts the host's node (/usr/local/bin/node) first: the shim must not use it.
  const pathNode = ok(await run('/bin/sh', ['-c', 'command -v node']), 'command -v node').trim();
  assert.equal(pathNode, '/usr/local/bin/node', 'precondition: PATH finds another node first');
  assert.doesNotMatch(ok(await run(pathNode, ['--version']), 'node --version'), /^v18\./, 'precondition: that node is not 18');
  assert.match(ok(await run('/usr/bin/node', ['--version']), '/usr/bin/node --version'), /^v18\./, "Debian's nodejs is 18.x");

  // The interpreter that runs the bundle, reporting itself (a preloaded
  // probe); the next test also reads /proc/PID/exe of a running CLI.
  const pv = ok(await run(BIN, ['--version']), 'tsmachine --version');
  assert.equal(pv.trim(), 'tsmachine 0.1.0');
  const probe = '/run/tsm-node-probe.cjs';
  writeFileSync(probe, "require('fs').writeFileSync('/run/tsm-node-probe.json', JSON.stringify({ version: process.version, execPath: process.execPath, exe: require('fs').readlinkSync('/proc/self/exe') }));\n");
  try {
    ok(await run(BIN, ['list'], { env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } }), 'tsmachine list with the probe');
    const seen = JSON.parse(readFileSync('/run/tsm-node-probe.json', 'utf8')) as { version: string; execPath: string; exe: string };
    assert.match(seen.version, /^v18\./, `tsmachine ran on node ${seen.version}`);
    assert.equal(seen.execPath, '/usr/bin/node');
    assert.equal(seen.exe, '/usr/bin/node', '/proc/self/exe of the process that ran the bundle');
  } finally {
    rmSync(probe, { force: true });
    rmSync('/run/tsm-node-probe.json', { force: true });
  }
});

test('the installed tsmachine starts httpd: machinectl lists it, the page is served, rm --force removes it', { skip }, async () => {
  ok(await run(BIN, ['start', NAME, '--image', 'httpd', '--network', 'none'], { timeoutMs: 90_000 }), `tsmachine start ${NAME}`);
  const row = (await machines()).find((m) => m.machine === NAME);
  assert.ok(row, `machinectl list shows ${NAME}`);
  assert.equal(row.class, 'container');
  assert.equal(row.service, 'tsmachine');
  const unit = `tsmachine-${NAME}.scope`;
  assert.equal(unitProperty(unit, 'ActiveState'), 'active');
  assert.equal(unitProperty(unit, 'Slice'), 'machine.slice');

  const page = ok(await run(BIN, ['exec', NAME, 'wget', '-qO-', 'http://127.0.0.1/'], { timeoutMs: 60_000 }), 'exec wget');
  assert.match(page, /Hello from a tsmachine container/);

  // A long-running verb of the installed CLI, seen from outside: /proc/PID/exe is Debian's node 18.
  const follower = spawn(BIN, ['logs', '-f', NAME], { stdio: 'ignore' });
  try {
    const exe = await waitUntil('the shim to exec node', () => {
      try { const e = readlinkSync(`/proc/${follower.pid}/exe`); return e.endsWith('/node') ? e : null; } catch { return null; }
    }, { timeoutMs: 20_000, intervalMs: 50 });
    assert.equal(exe, '/usr/bin/node');
    assert.match(ok(await run(exe, ['--version']), `${exe} --version`), /^v18\./);
  } finally {
    follower.kill('SIGKILL');
  }

  // The launcher kept V8's code for the next command (root only, /var/cache).
  assert.ok(readdirSync('/var/cache/tsmachine/v8').some((f) => f.endsWith('.full')), 'a code cache after start succeeded');

  ok(await run(BIN, ['rm', '--force', NAME], { timeoutMs: 60_000 }), 'rm --force');
  assert.equal((await machines()).find((m) => m.machine === NAME), undefined, 'machine gone');
  assert.equal(unitProperty(unit, 'ActiveState'), 'inactive');
  assert.ok(!existsSync(`/var/lib/tsmachine/containers/${NAME}`), 'container directory removed');
});

test('podman knows the installed runtime by name (the conffile in /etc/containers/containers.conf.d/) and still has crun', { skip }, async () => {
  const conffiles = ok(await run('dpkg-query', ['-W', '-f=${Conffiles}', 'tsmachine']), 'dpkg-query Conffiles');
  assert.match(conffiles, /\/etc\/containers\/containers\.conf\.d\/50-tsmachine\.conf [0-9a-f]{32}/);
  const path = await run('podman', ['--runtime', 'tsmachine', 'info', '--format', '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}']);
  assert.equal(path.code, 0, path.stderr);
  assert.equal(path.stdout.trim(), 'tsmachine /usr/bin/tsmachine-oci');
  const image = 'localhost/tsm-deb-bb:t';
  ok(await run('/bin/sh', ['-c', `tar -C /usr/lib/tsmachine/build/images/httpd/rootfs -c . | podman import - ${image}`], { timeoutMs: 120_000 }), 'podman import');
  try {
    const r = await run('podman', ['--runtime', 'tsmachine', 'run', '--rm', '--pull=never', '--network', 'none', image, 'sh', '-c', 'echo hi; exit 3'], { timeoutMs: 180_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    // The drop-in adds a runtime; podman's own table (crun) is still there.
    const crun = await run('podman', ['--runtime', 'crun', 'info', '--format', '{{.Host.OCIRuntime.Name}}']);
    assert.equal(crun.stdout.trim(), 'crun', crun.stderr);
  } finally {
    await run('podman', ['rmi', '-f', image]);
  }
});

test('dpkg --purge: a running tsmachine@ instance is stopped; unit, /etc/tsmachine, /var/lib/tsmachine, the code cache and the enablement links go', { skip }, async () => {
  const unit = `tsmachine@${SVC}.service`;
  mkdirSync('/etc/tsmachine', { recursive: true });
  writeFileSync(`/etc/tsmachine/${SVC}.tsmachine`, `${TRAP_PAYLOAD}[Files]\nImage=httpd\n\n[Network]\nMode=none\n`);
  ok(await run('systemctl', ['enable', '--now', unit], { timeoutMs: 120_000 }), `systemctl enable --now ${unit}`);
  assert.equal(unitProperty(unit, 'ActiveState'), 'active');
  assert.ok((await machines()).some((m) => m.machine === SVC), 'machine registered');
  const leader = Number(ok(await run('machinectl', ['show', '-p', 'Leader', '--value', SVC]), 'machinectl show'));
  assert.ok(existsSync('/etc/systemd/system/machines.target.wants/tsmachine@debsvc.service'));

  ok(await run('dpkg', ['--purge', 'tsmachine'], { timeoutMs: 180_000 }), 'dpkg --purge tsmachine');

  const q = await run('dpkg-query', ['-W', '-f=${db:Status-Status}', 'tsmachine']);
  assert.ok(q.code !== 0 || q.stdout.trim() === 'not-installed', `dpkg-query after purge: ${q.stdout}`);
  assert.notEqual(unitProperty(unit, 'ActiveState'), 'active', 'the instance was stopped');
  assert.ok(!existsSync(`/proc/${leader}`), 'the container\'s init is gone');
  assert.ok(!(await machines()).some((m) => m.machine === SVC), 'machine gone');
  for (const gone of ['/usr/lib/systemd/system/tsmachine@.service', BIN, '/usr/lib/tsmachine', '/etc/tsmachine', '/var/lib/tsmachine',
    '/var/cache/tsmachine', '/etc/systemd/system/machines.target.wants/tsmachine@debsvc.service']) {
    assert.ok(!existsSync(gone), `${gone} removed`);
  }
  // systemd forgot the template (postrm's daemon-reload)
  assert.notEqual(unitProperty(unit, 'LoadState'), 'loaded');
  // (systemctl show above loads the name again as not-found until systemd's GC: only loaded ones count)
  const left = ok(await run('systemctl', ['list-units', '--all', '--no-legend', '--plain', 'tsmachine*']), 'list-units');
  assert.deepEqual(left.split('\n').filter((l) => /\sloaded\s/.test(l)), [], `no tsmachine unit left: ${left}`);
});

test('the .deb names what it needs: nodejs (>= 18), systemd, systemd-container', { skip }, async () => {
  const depends = ok(await run('dpkg-deb', ['-f', packageFile('deb'), 'Depends']), 'dpkg-deb -f');
  for (const d of [/\bnodejs \(>= 18\)/, /\bsystemd\b/, /\bsystemd-container\b/, /\bnftables\b/, /\blibc6 \(>= 2\.\d+\)/]) assert.match(depends, d);
});
