import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memberComponents, symlinkEscapes } from '../../src/image/tar/paths.js';
import { whiteoutOf } from '../../src/image/layer/whiteouts.js';
import { parseImageConfig } from '../../src/image/archive/config.js';
import { ImageError } from '../../src/image/errors.js';
import { sanitizeName, storePaths } from '../../src/image/store/paths.js';
import { checkLowerdirBudget, lowerdirOption, LOWERDIR_BUDGET, PAGE } from '../../src/image/store/lowerdir.js';
import { ociArch } from '../../src/image/archive/oci.js';
import { parsePax } from '../../src/image/tar/reader.js';

test('member paths: relative ones normalised, absolute and .. refused', () => {
  const ok: [string, string[]][] = [
    ['./', []], ['/', []], ['.', []], ['etc/passwd', ['etc', 'passwd']], ['./usr/bin/', ['usr', 'bin']],
    ['a//b/./c', ['a', 'b', 'c']], ['..foo/bar', ['..foo', 'bar']],
  ];
  for (const [p, want] of ok) assert.deepEqual(memberComponents(p), want, p);
  for (const p of ['../x', 'a/../../x', 'a/..', '/etc/passwd', '//x', 'a\0b', '/..']) {
    assert.throws(() => memberComponents(p), (e: unknown) => e instanceof ImageError && e.message.includes(p.replace('\0', '\0')), p);
  }
});

test('symlink targets that climb out of the layer are detected; absolute ones stay inside', () => {
  const cases: [number, string, boolean][] = [
    [0, 'etc/conf', false], [0, '../x', true], [1, '../x', false], [1, '../../x', true], [2, '../../a/../b', false],
    [0, '/etc/passwd', false], [0, './a/./b', false], [3, 'a/../../../../x', false], [3, 'a/../../../../../x', true], [0, 'a/../..', true],
  ];
  for (const [depth, target, escapes] of cases) assert.equal(symlinkEscapes(depth, target), escapes, `${depth} ${target}`);
});

test('OCI whiteout names', () => {
  assert.deepEqual(whiteoutOf('.wh..wh..opq'), { kind: 'opaque' });
  assert.deepEqual(whiteoutOf('.wh.passwd'), { kind: 'whiteout', name: 'passwd' });
  assert.deepEqual(whiteoutOf('.wh..wh.plnk'), { kind: 'meta' });
  assert.equal(whiteoutOf('passwd'), null);
  assert.equal(whiteoutOf('.wh.'), null);
  assert.equal(whiteoutOf('.wh...'), null);
});

test('image config → runtime defaults', () => {
  const p = parseImageConfig({
    created: '2024-01-02T03:04:05Z', architecture: 'amd64', os: 'linux',
    config: { Entrypoint: ['/bin/app'], Cmd: ['--serve'], Env: ['A=1'], WorkingDir: '/srv', User: 'www:www', ExposedPorts: { '80/tcp': {}, '53/udp': {} } },
    rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`] },
  });
  assert.deepEqual(p.config, { entrypoint: ['/bin/app'], cmd: ['--serve'], env: ['A=1'], workingDir: '/srv', user: 'www:www', exposedPorts: ['53/udp', '80/tcp'] });
  assert.equal(p.created, '2024-01-02T03:04:05Z');
  assert.equal(p.diffIds.length, 1);
  const empty = parseImageConfig({ config: { Entrypoint: null, Cmd: null } });
  assert.deepEqual(empty.config, { entrypoint: [], cmd: [], env: [], workingDir: '/' });
  for (const bad of [null, [], 'x', { config: { Cmd: 'sh' } }, { config: { Env: [1] } }, { config: { WorkingDir: 5 } }]) {
    assert.throws(() => parseImageConfig(bad), ImageError, JSON.stringify(bad));
  }
});

test('names from tags and file names', () => {
  assert.equal(sanitizeName('docker.io/library/alpine:3.19'), 'alpine:3.19');
  assert.equal(sanitizeName('app'), 'app');
  assert.equal(sanitizeName('my image'), 'my_image');
  assert.equal(sanitizeName('...'), null);
  assert.equal(ociArch('x64'), 'amd64');
  assert.equal(ociArch('arm64'), 'arm64');
});

test('pax records are parsed as bytes (binary xattr values)', () => {
  const bin = Buffer.from([0, 1, 2, 0xff]);
  const rec = (k: string, v: Buffer): Buffer => {
    const rest = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
    let len = rest.length + 1;
    while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
    return Buffer.concat([Buffer.from(String(len)), rest]);
  };
  const m = parsePax(Buffer.concat([rec('path', Buffer.from('a'.repeat(200))), rec('SCHILY.xattr.security.capability', bin)]), 'x');
  assert.equal(m.get('path')?.toString(), 'a'.repeat(200));
  assert.deepEqual(m.get('SCHILY.xattr.security.capability'), bin);
  assert.throws(() => parsePax(Buffer.from('99 path=x\n'), 'x'), ImageError);
  assert.throws(() => parsePax(Buffer.from('abc'), 'x'), ImageError);
});

test('60 layers fit one page of overlay options under the default STATE_DIR', () => {
  const p = storePaths('/var/lib/tsmachine');
  const links = Array.from({ length: 60 }, (_, i) => `${p.links}/${i.toString(16).padStart(16, '0')}`);
  const opt = `lowerdir=${lowerdirOption(links)},upperdir=/var/lib/tsmachine/containers/some-container-name/upper,workdir=/var/lib/tsmachine/containers/some-container-name/work`;
  assert.ok(opt.length < PAGE, `${opt.length}`);
  assert.ok(`lowerdir=${lowerdirOption(links)}`.length <= LOWERDIR_BUDGET);
  assert.equal(lowerdirOption(['a', 'b', 'c']), 'c:b:a');
  checkLowerdirBudget(150);
  // The full-digest paths it replaces would not have fit:
  const long = Array.from({ length: 60 }, () => `${p.layers}/${'f'.repeat(64)}`);
  assert.ok(`lowerdir=${long.join(':')}`.length > PAGE);
  assert.throws(() => checkLowerdirBudget(200), /layers/);
});

test('progress: one line of layers and bytes on a terminal, nothing when piped', async () => {
  const { formatProgress, ttyProgress } = await import('../../src/image/progress.js');
  assert.equal(formatProgress({ layer: 2, layers: 4, bytes: 5e6, totalBytes: 2e7, state: 'unpacking' }), 'layer 2/4 unpacking  5.0 MB / 20.0 MB (25%)');
  assert.equal(ttyProgress({ isTTY: false } as NodeJS.WriteStream), undefined);
  const written: string[] = [];
  const fn = ttyProgress({ isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream)!;
  fn({ layer: 1, layers: 1, bytes: 1, totalBytes: 1, state: 'done' });
  assert.match(written[0]!, /layer 1\/1 done.*\n$/);
});
