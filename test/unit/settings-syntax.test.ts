import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSyntax } from '../../src/config/settings/syntax.js';
import { SettingsError } from '../../src/config/settings/error.js';
import { splitWords, parseBoolean } from '../../src/config/settings/words.js';

const F = '/etc/tsmachine/web.tsmachine';
const entries = (text: string) => parseSyntax(text, F).entries.map((e) => [e.section, e.key, e.value, e.line]);

test('sections, comments, blank lines and trimmed Key=Value', () => {
  const text = '# comment\n; other comment\n\n[Exec]\n  Hostname  =  web  \nEnvironment=A=B=C\n';
  assert.deepEqual(entries(text), [
    ['Exec', 'Hostname', 'web', 5],
    ['Exec', 'Environment', 'A=B=C', 6],
  ]);
});

test('a trailing backslash joins the next line with a space', () => {
  const text = '[Exec]\nParameters=/bin/sh \\\n  -c \\\n  true\nHostname=x\n';
  assert.deepEqual(entries(text), [
    ['Exec', 'Parameters', '/bin/sh    -c    true', 2],
    ['Exec', 'Hostname', 'x', 5],
  ]);
});

test('comment lines inside a continuation are skipped, the continuation goes on', () => {
  const text = '[Exec]\nParameters=a \\\n# not here\n  ; nor here\nb\n';
  assert.deepEqual(entries(text), [['Exec', 'Parameters', 'a  b', 2]]);
});

test('a blank line ends a continuation; so does the end of the file', () => {
  assert.deepEqual(entries('[Exec]\nParameters=a \\\n\nHostname=h\n'), [
    ['Exec', 'Parameters', 'a', 2],
    ['Exec', 'Hostname', 'h', 4],
  ]);
  assert.deepEqual(entries('[Exec]\nParameters=a \\'), [['Exec', 'Parameters', 'a', 2]]);
});

test('an escaped backslash at the end is not a continuation', () => {
  assert.deepEqual(entries('[Exec]\nParameters=a\\\\\nHostname=h\n'), [
    ['Exec', 'Parameters', 'a\\\\', 2],
    ['Exec', 'Hostname', 'h', 3],
  ]);
});

test('CRLF line ends and a byte order mark are accepted', () => {
  assert.deepEqual(entries('\uFEFF[Exec]\r\nHostname=a\r\n'), [['Exec', 'Hostname', 'a', 2]]);
});

test('lines without = or outside a section warn with file:line and are ignored', () => {
  const r = parseSyntax('Hostname=early\n[Exec]\nnonsense\n=value\n', F);
  assert.deepEqual(r.entries, []);
  assert.deepEqual(r.warnings, [
    `${F}:1: assignment outside of any section, ignoring`,
    `${F}:3: missing '=', ignoring line`,
    `${F}:4: missing key name before '=', ignoring line`,
  ]);
});

test('a broken section header is fatal with file:line', () => {
  assert.throws(() => parseSyntax('[Exec]\nHostname=a\n[Files\n', F), (e: unknown) => {
    assert.ok(e instanceof SettingsError);
    assert.equal(e.file, F);
    assert.equal(e.line, 3);
    assert.equal(e.module, 'config');
    assert.equal(e.message, `${F}:3: invalid section header '[Files'`);
    return true;
  });
  assert.throws(() => parseSyntax('[Ex"ec]\n', F), /:1: bad characters in section header/);
});

test('invalid UTF-8 and NUL bytes are refused with their line', () => {
  const bad = new Uint8Array([...Buffer.from('[Exec]\nHostname=a\nHostname='), 0xff, 0x0a]);
  assert.throws(() => parseSyntax(bad, F), { message: `${F}:3: invalid UTF-8` });
  assert.throws(() => parseSyntax('[Exec]\nA=\0\n', F), { message: `${F}:2: NUL byte in settings file` });
});

test('splitWords quotes as systemd config_parse_strv', () => {
  assert.deepEqual(splitWords('  a "b c"  \'d e\' f"g h"i ""  '), ['a', 'b c', 'd e', 'fg hi', '']);
  assert.deepEqual(splitWords('a\\ b'), ['a\\', 'b']); // backslash is ordinary (EXTRACT_RETAIN_ESCAPE)
  assert.deepEqual(splitWords('"it\'s"'), ["it's"]);
  assert.deepEqual(splitWords(''), []);
  assert.throws(() => splitWords('a "b'), /unterminated quote/);
});

test('parseBoolean matches systemd parse_boolean', () => {
  for (const t of ['1', 'yes', 'y', 'true', 't', 'on', 'YES', 'On']) assert.equal(parseBoolean(t), true, t);
  for (const f of ['0', 'no', 'n', 'false', 'f', 'off', 'No', 'OFF']) assert.equal(parseBoolean(f), false, f);
  for (const x of ['', '2', 'yess', 'enable', ' yes']) assert.equal(parseBoolean(x), undefined, x);
});
