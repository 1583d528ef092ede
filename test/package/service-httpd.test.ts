/**
 * tsmachine@NAME.service from the installed .deb (issue 6), checked with
 * systemd's own tools: `systemctl enable --now tsmachine@httpd` runs the
 * container in the service's cgroup with the payload as the main process,
 * registered with machined under the service's unit, enabled for
 * machines.target, its output in the service's journal, no Node left
 * behind; `systemctl stop` ends it and machined forgets it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDir, installDeb, machines, ok, packageTestsSkip, run, unitProperty, waitUntil, TEMPLATE,
} from '../integration/helpers.js';

const skip = packageTestsSkip();
const NAME = 'httpd';
const UNIT = `tsmachine@${NAME}.service`;
const BIN = '/usr/bin/tsmachine';

before(async () => { if (!skip) await installDeb(); });
after(async () => {
  if (skip) return;
  await run('systemctl', ['disable', '--now', UNIT], { timeoutMs: 90_000 });
  if (existsSync(BIN)) await run(BIN, ['rm', '--force', NAME], { timeoutMs: 60_000 });
  // the package stays for the next file (installDeb reuses a verified install of this build)
});

/** Every PID in a cgroup and its children. */
function cgroupPids(dir: string): number[] {
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) pids.push(...cgroupPids(join(dir, e.name)));
  return pids;
}

function exeOf(pid: number): string {
  try { return readlinkSync(`/proc/${pid}/exe`); } catch { return '?'; }
}

test('systemctl enable --now tsmachine@httpd: active, the payload is the main process, machined and systemd-cgls agree', { skip }, async () => {
  ok(await run('systemctl', ['enable', '--now', UNIT], { timeoutMs: 120_000 }), `systemctl enable --now ${UNIT}`);
  assert.equal(ok(await run('systemctl', ['is-active', UNIT]), 'is-active').trim(), 'active');
  assert.equal(unitProperty(UNIT, 'SubState'), 'running');

  // enabled for machines.target, as systemd-nspawn@.service is
  assert.equal(ok(await run('systemctl', ['is-enabled', UNIT]), 'is-enabled').trim(), 'enabled');
  const link = `/etc/systemd/system/machines.target.wants/${UNIT}`;
  assert.match(readlinkSync(link), TEMPLATE);
  assert.match(unitProperty('machines.target', 'Wants'), new RegExp(`\\b${UNIT.replace(/[.@]/g, '\\$&')}\\b`));

  // machined: the machine lives in the service's unit (--keep-unit), not a scope of its own
  const row = (await machines()).find((m) => m.machine === NAME);
  assert.ok(row, 'machinectl list shows httpd');
  assert.equal(row.class, 'container');
  assert.equal(ok(await run('machinectl', ['show', '-p', 'Unit', '--value', NAME]), 'machinectl show Unit').trim(), UNIT);
  const leader = Number(ok(await run('machinectl', ['show', '-p', 'Leader', '--value', NAME]), 'machinectl show Leader'));
  assert.ok(leader > 1);
  assert.equal(unitProperty(`tsmachine-${NAME}.scope`, 'LoadState'), 'not-found', 'no scope besides the service');

  // the payload (the container's init) is the service's main process
  assert.equal(Number(unitProperty(UNIT, 'MainPID')), leader, 'MainPID = machine leader');
  assert.match(exeOf(leader), /busybox$/, 'the main process is the payload (busybox httpd)');
  assert.equal(unitProperty(UNIT, 'Slice'), 'machine.slice');
  // the unit file's device policy, as systemd-nspawn@.service's
  assert.equal(unitProperty(UNIT, 'DevicePolicy'), 'closed');
  assert.match(unitProperty(UNIT, 'DeviceAllow'), /char-pts rw/);
  // created by the service: a private user namespace (nspawn@.service's -U), not the host's ids
  const uidMap = readFileSync(`/proc/${leader}/uid_map`, 'utf8').trim().split(/\s+/).map(Number);
  assert.equal(uidMap[0], 0);
  assert.ok(uidMap[1]! > 0 && uidMap[2]! <= 65536, `uid_map of the payload is a private range: ${uidMap.join(' ')}`);

  // systemd-cgls of the unit lists the payload; no node process stays in the unit's cgroup
  const cgls = ok(await run('systemd-cgls', ['--no-pager', '-u', UNIT]), 'systemd-cgls');
  assert.match(cgls, new RegExp(`\\b${leader}\\b.*httpd`), `systemd-cgls -u ${UNIT} lists the leader:\n${cgls}`);
  const pids = cgroupPids(cgroupDir(UNIT));
  assert.ok(pids.includes(leader));
  const nodes = pids.filter((p) => /node/.test(exeOf(p)));
  assert.deepEqual(nodes, [], `no node in the service's cgroup (${pids.map((p) => `${p}:${exeOf(p)}`).join(' ')})`);
});

test('the page is served and the payload\'s output is in the service\'s journal', { skip }, async () => {
  const status = JSON.parse(ok(await run(BIN, ['status', NAME, '--json']), 'status --json')) as { addresses: string[] };
  const ip = status.addresses[0]?.replace(/\/\d+$/, '');
  assert.ok(ip, `bridge address of ${NAME}: ${JSON.stringify(status)}`);
  const page = ok(await run('curl', ['-fsS', '--max-time', '10', `http://${ip}/`]), `curl http://${ip}/`);
  assert.match(page, /Hello from a tsmachine container/);
  // busybox httpd -v logs each response ("IP:PORT: response:200") on stderr, which is the journal's stream for the unit
  const journal = await waitUntil('the request in the service journal', async () => {
    const j = ok(await run('journalctl', ['-u', UNIT, '-o', 'cat', '--no-pager']), 'journalctl');
    return /response:200/.test(j) ? j : null;
  }, { timeoutMs: 15_000, intervalMs: 500 }).catch(async (e: Error) => {
    // Seen once in ~8 runs under TCG load: say where the line went, if anywhere.
    const recent = (await run('journalctl', ['-o', 'verbose', '--no-pager', '--since', '-3min'])).stdout;
    const fields = recent.split('\n').filter((l) => /^\s*(MESSAGE|_SYSTEMD_UNIT|_PID|SYSLOG_IDENTIFIER)=/.test(l)).slice(-60);
    throw new Error(`${e.message}\nrecent journal fields:\n${fields.join('\n')}`);
  });
  assert.match(journal, /response:200/);
});

test('systemctl stop: the container ends and machined forgets it; disable drops the link', { skip }, async () => {
  const leader = Number(unitProperty(UNIT, 'MainPID'));
  ok(await run('systemctl', ['stop', UNIT], { timeoutMs: 90_000 }), `systemctl stop ${UNIT}`);
  assert.equal(unitProperty(UNIT, 'ActiveState'), 'inactive');
  assert.equal(unitProperty(UNIT, 'Result'), 'success', 'a clean stop, not a timeout or a kill');
  assert.ok(!existsSync(`/proc/${leader}`), 'the payload is gone');
  assert.ok(!(await machines()).some((m) => m.machine === NAME), 'machinectl list no longer shows it');
  assert.notEqual((await run('machinectl', ['show', NAME])).code, 0);
  ok(await run('systemctl', ['disable', UNIT], { timeoutMs: 90_000 }), 'disable');
  assert.ok(!existsSync(`/etc/systemd/system/machines.target.wants/${UNIT}`));
  assert.ok(!(await machines()).some((m) => m.machine === NAME));
});
