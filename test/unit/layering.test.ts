/**
 * The layering rules of ARCHITECTURE.md, checked on the source: only
 * src/kernel loads the native binding, src/kernel imports nothing above it,
 * the pure modules stay pure, and no module imports itself through a cycle.
 * Reads the TypeScript sources (static `from '…'` and `import('…')`); no build needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// build/test/unit/ → the checkout
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Module → the modules it imports (src-relative paths, .ts), type-only imports excluded unless `withTypes`. */
function graph(withTypes = false): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps: string[] = [];
    const re = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm;
    for (const m of text.matchAll(re)) {
      if (m[2] && !withTypes) continue; // `import type`: erased, no load-time edge
      const spec = m[3] ?? m[4]!;
      if (!spec.startsWith('.')) continue;
      deps.push(relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'));
    }
    g.set(relative(SRC, file), deps);
  }
  return g;
}

test('only src/kernel loads the binding', () => {
  const offenders = [...graph()].filter(([m, deps]) => !m.startsWith('kernel/') && deps.includes('kernel/addon.ts')).map(([m]) => m);
  assert.deepEqual(offenders, [], 'these import kernel/addon directly; go through a src/kernel module');
});

test('src/kernel imports nothing above it; config and unit properties stay pure', () => {
  const g = graph();
  const above = (m: string, allowed: RegExp): string[] => (g.get(m) ?? []).filter((d) => !allowed.test(d)).map((d) => `${m} → ${d}`);
  const kernel = [...g.keys()].filter((m) => m.startsWith('kernel/')).flatMap((m) => above(m, /^(kernel\/|errors\.ts$|paths\.ts$|builtins\.ts$|sleep\.ts$|quiet-fs\.ts$)/));
  assert.deepEqual(kernel, []);
  // config/ decides from plain data: it may read kernel facts (types, capability numbers), never effects
  // (the settings loader reads the settings files: config/settings/load.ts and resolve.ts)
  const config = [...g.keys()].filter((m) => m.startsWith('config/'))
    .flatMap((m) => above(m, /^settings\/(load|resolve)\.ts$/.test(m.slice(7)) ? /^(config\/|errors\.ts$|builtins\.ts$|paths\.ts$|quiet-fs\.ts$)/ : /^(config\/|errors\.ts$|builtins\.ts$|kernel\/(caps|types)\.ts$)/));
  assert.deepEqual(config, []);
  assert.deepEqual(above('systemd/properties.ts', /^(systemd\/(errors|dbus\/values)\.ts|config\/|errors\.ts$)/), []);
  // oci/ maps config.json to plans from plain data: the contract types, capability numbers and the unit property helpers, no effects
  const oci = [...g.keys()].filter((m) => m.startsWith('oci/')).flatMap((m) => above(m, /^(oci\/|errors\.ts$|kernel\/(caps|oci-types)\.ts$|systemd\/properties\.ts$)/));
  assert.deepEqual(oci, []);
  assert.ok([...g.keys()].some((m) => m.startsWith('oci/')), 'the rule above checks something');
  // ...and of Node only path's string functions: no fs, no process, no child_process
  const nodeUse = sources(join(SRC, 'oci')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/from\s+'(node:[^']+)'|\bprocess\.(?:env|cwd|exit|argv|kill|std(?:in|out|err)|pid|getuid|geteuid|chdir|umask|platform)\b/g)]
    .map((m) => m[1] ?? 'process.').filter((d) => d !== 'node:path').map((d) => `${relative(SRC, f)} → ${d}`));
  assert.deepEqual(nodeUse, []);
});

test('src/basic imports nothing of ours but errors.ts', () => {
  const offenders = [...graph(true)].filter(([m]) => m.startsWith('basic/'))
    .flatMap(([m, deps]) => deps.filter((d) => !/^(basic\/|errors\.ts$)/.test(d)).map((d) => `${m} → ${d}`));
  assert.deepEqual(offenders, []);
});

test('src/image: its rooms are entered through their index.ts, and the rest of src through image/index.ts', () => {
  // Type-only imports count: a door is a door for types too.
  const g = graph(true);
  const roomOf = (m: string): string | null => /^image\/([^/]+)\//.exec(m)?.[1] ?? null;
  const offenders: string[] = [];
  for (const [m, deps] of g) {
    for (const d of deps) {
      if (!d.startsWith('image/')) continue;
      const edge = `${m} → ${d}`;
      if (!m.startsWith('image/')) {
        if (d !== 'image/index.ts') offenders.push(`${edge} (outside image/, import image/index.ts)`);
        continue;
      }
      const from = roomOf(m), to = roomOf(d);
      if (to !== null && to !== from && d !== `image/${to}/index.ts`) offenders.push(`${edge} (enter ${to}/ through its index.ts)`);
      // A room stands below the verbs: of image/'s top level it may use the errors and the shared types only.
      if (from !== null && to === null && !/^image\/(errors|types)\.ts$/.test(d)) offenders.push(`${edge} (a room imports no verb)`);
      if (m === 'image/index.ts' && /^image\/(archive|layer|tar)\//.test(d)) offenders.push(`${edge} (every CLI start loads image/index.ts)`);
    }
  }
  assert.deepEqual(offenders, []);
  // The order of the rooms: tar/ at the bottom, archive/ on it, layer/ on both; store/ stands alone.
  const below: Record<string, string[]> = { tar: [], archive: ['tar'], layer: ['tar', 'archive'], store: [] };
  const order = [...g].flatMap(([m, deps]) => {
    const from = roomOf(m);
    if (from === null) return [];
    return deps.filter((d) => { const to = roomOf(d); return to !== null && to !== from && !below[from]?.includes(to); }).map((d) => `${m} → ${d}`);
  });
  assert.deepEqual(order, []);
  // A room with no index.ts is no room.
  for (const room of Object.keys(below)) assert.ok(g.has(`image/${room}/index.ts`), `image/${room}/index.ts`);
});

test('no import cycles', () => {
  const g = graph();
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string): void => {
    state.set(m, 'open');
    stack.push(m);
    for (const d of g.get(m) ?? []) {
      if (!g.has(d)) continue;
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of [...g.keys()].sort()) if (!state.has(m)) visit(m);
  assert.deepEqual(cycles, []);
});
