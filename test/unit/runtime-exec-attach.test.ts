// exec's attach to the container's unit, with recorders in place of systemd
// and the kernel: the scope, or in service mode (tsmachine@NAME.service,
// --keep-unit) the service, whose cgroup is the container's. The real thing:
// test/integration/security-exec.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'tsm-rt-exec-'));
process.env.TSMACHINE_STATE_DIR = join(root, 'lib');
process.env.TSMACHINE_RUN_DIR = join(root, 'run');

const { execInContainer } = await import('../../src/runtime/exec.js');
const { validateSpec } = await import('../../src/config/spec.js');
const { containerPaths, writeRuntime, writeStoredSpec } = await import('../../src/state/container.js');
type Deps = import('../../src/runtime/deps.js').RuntimeDeps;
type Mode = import('../../src/state/container.js').RuntimeState['mode'];

const unused = (what: string) => (): never => { throw new Error(`${what}: not used by exec`); };

function recorder(log: string[]): Deps {
  return {
    async systemd() {
      return {
        scopes: {
          startScope: unused('startScope'), stopUnit: unused('stopUnit'), killUnit: unused('killUnit'),
          resetFailedUnit: unused('resetFailedUnit'), unitState: unused('unitState'), updateLimits: unused('updateLimits'), setServiceDevices: unused('setServiceDevices'),
          async attachProcesses(unit, pids) { log.push(`attach ${unit} ${pids.join(',')}`); },
        },
        machines: { register: unused('register'), terminate: unused('terminate'), get: unused('get') },
        close() { log.push('close'); },
      };
    },
    kernel: {
      spawnContainer: unused('spawnContainer'),
      execInContainer(req) {
        log.push(`exec ${req.argv.join(' ')}`);
        return { pid: 200, release() { log.push('release'); }, async wait() { return 0; }, abort() { log.push('abort'); } };
      },
      waitExit: unused('waitExit'), kill: unused('kill'),
      processStartTime(pid) { return pid === 100 ? 4242 : null; },
      catchesSignal: unused('catchesSignal'), acquireLock: unused('acquireLock'), notify: unused('notify'),
    },
    network: {
      validate: unused('validate'), sharesHost: unused('sharesHost'), leavesHostState: unused('leavesHostState'),
      setup: unused('setup'), teardown: unused('teardown'),
    },
  };
}

for (const [mode, unit] of [
  ['detached', 'tsmachine-web.scope'],
  ['foreground', 'tsmachine-web.scope'],
  ['service', 'tsmachine@web.service'],
] as const satisfies ReadonlyArray<readonly [Mode, string]>) {
  test(`exec attaches the parked process to the container's unit before it runs (${mode}: ${unit})`, async () => {
    const name = `web-${mode}`;
    mkdirSync(containerPaths(name).dir, { recursive: true });
    mkdirSync(containerPaths(name).run, { recursive: true });
    writeStoredSpec(name, { spec: validateSpec(name, {}, { onlineCpus: [0], exists: () => true, deviceKind: () => null }), created: '2026-01-01T00:00:00Z', imageId: 'builtin:httpd' });
    writeRuntime(name, { unit, initPid: 100, initStartTime: 4242, monitorPid: 99, startedAt: '2026-01-01T00:00:00Z', addresses: [], mode });
    const log: string[] = [];
    assert.equal(await execInContainer(recorder(log), name, { argv: ['id'], env: [] }, null, { interactive: true }), 0);
    assert.deepEqual(log, ['exec id', `attach ${unit} 200`, 'close', 'release']);
  });
}
