import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings } from '../../src/config/settings/apply.js';
import { SettingsError } from '../../src/config/settings/error.js';

/** A small seeded PRNG (mulberry32), so a failure is reproducible from the printed seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fragments that reach the interesting paths: headers, keys of every parser, quotes, continuations. */
const PIECES = [
  '[Exec]', '[Files]', '[Network]', '[Resources]', '[X-A]', '[Bad', '[]', '\n', '\r\n', '\\', '\\\n', '#', ';', '=', ' ', '\t',
  '"', "'", ':', '%', 'Parameters=', 'Environment=', 'Hostname=', 'WorkingDirectory=', 'Image=', 'Bind=', 'BindReadOnly=',
  'Mode=', 'Port=', 'IP=', 'DNS=', 'CPUQuota=', 'MemoryMax=', 'TasksMax=', 'AllowedCPUs=', 'IOWeight=', 'tcp:', 'udp:',
  '/a', '80', '0', '65536', '50%', '1.5', 'infinity', 'a=b', '1-3', '::1', 'macvlan:', '\uFEFF', '\0', '\u00e9', '\uFFFD',
];

function check(input: string | Uint8Array, seed: number): void {
  try {
    const r = parseSettings(input, 'F');
    assert.ok(Array.isArray(r.warnings));
  } catch (e) {
    if (!(e instanceof SettingsError)) assert.fail(`seed ${seed}: ${String(e)}`);
    assert.match(e.message, /^F(:\d+)?: /, `seed ${seed}`);
  }
}

test('random bytes never fail with anything but a SettingsError', () => {
  for (let seed = 1; seed <= 1500; seed++) {
    const r = rng(seed);
    const bytes = new Uint8Array(Math.floor(r() * 300));
    // Mostly printable ASCII, some control bytes and high bytes (invalid UTF-8).
    for (let i = 0; i < bytes.length; i++) bytes[i] = r() < 0.85 ? 9 + Math.floor(r() * 118) : Math.floor(r() * 256);
    check(bytes, seed);
  }
});

test('random sequences of syntax fragments never fail with anything but a SettingsError', () => {
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    let text = '';
    const n = Math.floor(r() * 60);
    for (let i = 0; i < n; i++) text += PIECES[Math.floor(r() * PIECES.length)];
    check(text, seed);
  }
});
