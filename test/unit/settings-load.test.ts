import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, mergeOptions } from '../../src/config/settings/load.js';
import { resolveOptions } from '../../src/config/settings/resolve.js';
import { SettingsError } from '../../src/config/settings/error.js';
import { UsageError } from '../../src/errors.js';

function dirs(): { etc: string; run: string; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'tsm-settings-'));
  const etc = join(root, 'etc');
  const run = join(root, 'run');
  mkdirSync(etc);
  mkdirSync(run);
  return { etc, run, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('the first file found in SETTINGS_DIRS order wins: /etc over /run, not merged', () => {
  const d = dirs();
  try {
    writeFileSync(join(d.etc, 'web.tsmachine'), '[Exec]\nHostname=from-etc\n');
    writeFileSync(join(d.run, 'web.tsmachine'), '[Exec]\nHostname=from-run\nWorkingDirectory=/run-only\n');
    const r = loadSettings('web', [d.etc, d.run]);
    assert.equal(r.file, join(d.etc, 'web.tsmachine'));
    assert.deepEqual(r.options, { hostname: 'from-etc' });
    assert.equal(r.origins.hostname, `${join(d.etc, 'web.tsmachine')}:2`);

    const other = loadSettings('db', [d.etc, d.run]);
    assert.deepEqual(other, { options: {}, origins: {}, keys: {}, warnings: [] });

    writeFileSync(join(d.run, 'db.tsmachine'), '[Exec]\nHostname=db\nBogus=1\n');
    const fromRun = loadSettings('db', [d.etc, d.run]);
    assert.equal(fromRun.file, join(d.run, 'db.tsmachine'));
    assert.deepEqual(fromRun.warnings, [`${join(d.run, 'db.tsmachine')}:3: unknown key 'Bogus' in [Exec], ignoring`]);
  } finally {
    d.done();
  }
});

test('a missing directory is skipped; an unreadable file is a SettingsError', () => {
  const d = dirs();
  try {
    assert.deepEqual(loadSettings('web', [join(d.etc, 'nope'), d.run]).options, {});
    mkdirSync(join(d.etc, 'web.tsmachine'));
    assert.throws(() => loadSettings('web', [d.etc]), (e: unknown) => e instanceof SettingsError && e.line === undefined && /cannot read/.test(e.message));
  } finally {
    d.done();
  }
});

test('names that would leave the settings directory are refused', () => {
  for (const bad of ['', '.', '..', '../etc/passwd', 'a/b', 'a\0b']) {
    assert.throws(() => loadSettings(bad, ['/nonexistent']), UsageError, JSON.stringify(bad));
  }
});

test('mergeOptions: flags over file over defaults, with origins', () => {
  const defaults = { image: 'httpd', network: 'bridge', memory: '256M', env: ['PATH=/bin'] };
  const fromFile = {
    options: { network: 'none', memory: '64M', bind: ['/a:/a'], env: ['A=1'] },
    origins: { network: '/etc/tsmachine/web.tsmachine:3', memory: '/etc/tsmachine/web.tsmachine:7', bind: '/etc/tsmachine/web.tsmachine:5', env: '/etc/tsmachine/web.tsmachine:2' },
  };
  const fromFlags = { memory: '1G', bind: ['/b:/b:ro'], env: [], hostname: 'h' };
  const r = mergeOptions(defaults, fromFile, fromFlags);
  assert.deepEqual(r.options, { image: 'httpd', network: 'none', memory: '1G', env: ['A=1'], bind: ['/b:/b:ro'], hostname: 'h' });
  assert.deepEqual(r.origins, {
    image: 'default',
    network: '/etc/tsmachine/web.tsmachine:3',
    memory: 'flag',
    env: '/etc/tsmachine/web.tsmachine:2',
    bind: 'flag',
    hostname: 'flag',
  });
});

test('mergeOptions: a file list reset overrides a default list; inputs are not shared', () => {
  const defaults = { dns: ['9.9.9.9'] };
  const fromFile = { options: { dns: [] as string[] }, origins: { dns: 'F:4' } };
  const r = mergeOptions(defaults, fromFile, {});
  assert.deepEqual(r.options.dns, []);
  assert.equal(r.origins.dns, 'F:4');
  const merged: string[] = r.options.dns ?? [];
  merged.push('x');
  assert.deepEqual(fromFile.options.dns, []);
  assert.deepEqual(mergeOptions({}, { options: {}, origins: {} }, {}), { options: {}, origins: {} });
});

test('resolveOptions: merged options with spec labels for fields from the file', () => {
  const d = dirs();
  try {
    const file = join(d.etc, 'web.tsmachine');
    writeFileSync(file, '[Files]\nBindReadOnly=/etc/ssl\n[Resources]\nMemoryMax=64M\nCPUQuota=50%\n');
    const r = resolveOptions('web', { memory: '1G' }, { image: 'httpd' }, [d.etc, d.run]);
    assert.deepEqual(r.options, { image: 'httpd', bind: ['/etc/ssl:/etc/ssl:ro'], memory: '1G', cpus: '0.5' });
    assert.deepEqual(r.labels, { bind: `${file}:2: BindReadOnly=`, cpus: `${file}:5: CPUQuota=` });
    assert.equal(r.origins.memory, 'flag');
    assert.equal(r.file, file);
  } finally {
    d.done();
  }
});
