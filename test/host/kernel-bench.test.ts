import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kill, spawnContainer, waitExit } from '../../src/kernel/index.js';
import { addonLoadMs, nativeAddon } from '../../src/kernel/addon.js';
import { ensureNative, type Fixture, makeFixture, skipReason } from './kernel-fixture.js';

/**
 * Not a benchmark suite, a budget check that also prints the numbers the
 * design rests on: spawn→release latency, the resident monitor's size, and
 * what loading the native binding costs.
 */
describe('kernel costs', { skip: skipReason() ?? false }, () => {
  let f: Fixture;
  before(() => {
    ensureNative();
    f = makeFixture();
  });
  after(() => f.cleanup());

  test('native binding load', (t) => {
    nativeAddon();
    t.diagnostic(`tsmachine.node load: ${addonLoadMs.toFixed(1)} ms`);
  });

  test('spawn→release of /bin/true, median of 20', async (t) => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const c = spawnContainer(f.request({ argv: ['/bin/true'] }));
      c.release();
      times.push(performance.now() - t0);
      assert.equal(await waitExit(c.monitorPid), 0);
    }
    times.sort((a, b) => a - b);
    const median = (times[9]! + times[10]!) / 2;
    t.diagnostic(`spawn→release median ${median.toFixed(2)} ms (min ${times[0]!.toFixed(2)}, max ${times[19]!.toFixed(2)})`);
    assert.ok(median < 500, `spawn→release took ${median} ms`);
  });

  test('tsm-monitor RSS', async (t) => {
    const c = spawnContainer(f.request({ argv: ['sleep', '100'] }));
    c.release();
    const exited = waitExit(c.monitorPid);
    // The child stage execs into the monitor right after sending init's PID.
    let status = '';
    for (let i = 0; i < 100; i++) {
      status = readFileSync(`/proc/${c.monitorPid}/status`, 'utf8');
      if (/^Name:\s+tsm-monitor/m.test(status)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    const initRss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${c.initPid}/status`, 'utf8'))?.[1]);
    t.diagnostic(`tsm-monitor VmRSS ${rssKb} kB (payload busybox sleep ${initRss} kB)`);
    kill(c.initPid, 9);
    assert.equal(await exited, 137);
    assert.ok(rssKb > 0 && rssKb < 1024, `monitor RSS ${rssKb} kB`);
  });
});
