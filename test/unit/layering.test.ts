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

/** Module → the modules it imports (src-relative paths, .ts), type-only imports excluded. */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps: string[] = [];
    const re = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm;
    for (const m of text.matchAll(re)) {
      if (m[2]) continue; // `import type`: erased, no load-time edge
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
