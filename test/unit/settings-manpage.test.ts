import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSettings } from '../../src/config/settings/apply.js';
import { SETTINGS_TABLE } from '../../src/config/settings/table.js';

// Compiled to build/test/unit/, so the checkout is three levels up.
const page = fileURLToPath(new URL('../../../man/tsmachine.tsmachine.5', import.meta.url));
const skip = existsSync(page) ? false : 'man page not found next to the build';

test('tsmachine.tsmachine(5) documents every key of the table under its section', { skip }, () => {
  const roff = readFileSync(page, 'utf8');
  for (const k of SETTINGS_TABLE) {
    const section = roff.indexOf(`.SH [${k.section.toUpperCase()}] SECTION OPTIONS`);
    assert.ok(section >= 0, `section [${k.section}]`);
    const next = roff.indexOf('\n.SH ', section + 1);
    const body = roff.slice(section, next < 0 ? undefined : next);
    assert.ok(body.includes(`.B ${k.key}=\n`), `${k.section}.${k.key}= documented`);
  }
  const documented = [...roff.matchAll(/^\.(?:TP|TQ)\n\.B (\w+)=$/gm)].map((m) => m[1]);
  for (const key of documented) assert.ok(SETTINGS_TABLE.some((k) => k.key === key), `${key}= is in the table`);
});

test("the man page's example file parses without warnings", { skip }, () => {
  const roff = readFileSync(page, 'utf8');
  const m = /\.SH EXAMPLE\n\.EX\n([\s\S]*?)\.EE/.exec(roff);
  assert.ok(m, 'EXAMPLE section');
  const text = (m[1] as string).replace(/\\-/g, '-').replace(/\\e/g, '\\');
  const r = parseSettings(text, 'example');
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.options.command, ['/bin/busybox', 'httpd', '-f', '-v', '-p', '80', '-h', '/www']);
  assert.deepEqual(r.options.env, ['GREETING=hello', 'MOTTO=one container, one scope']);
  assert.equal(r.options.cpus, '0.5');
});
