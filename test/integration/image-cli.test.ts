/**
 * Issue 7 end to end through the CLI only: images made by independent tools
 * (umoci builds the OCI layout, skopeo converts it to a docker-archive) are
 * imported with `tsmachine import`, listed, inspected, run, removed and
 * pruned, and hostile tarballs are refused. What the runtime claims is
 * checked on disk: the store's layer dirs, the container's upper dir, du.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tarBuffer } from '../../src/image/tar/writer.js';
import { CLI, run, tsmachine, type RunResult } from './helpers.js';

const CHECKOUT = dirname(dirname(CLI));
const BUSYBOX_ROOTFS = join(CHECKOUT, 'build', 'images', 'httpd', 'rootfs');
const STATE = '/var/lib/tsmachine';
const LAYERS = join(STATE, 'layers', 'sha256');
const OUTSIDE = '/tmp/icli-outside';

const sh = (cmd: string): string => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const tool = (file: string, args: string[]): string => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const created: string[] = [];
let dir = '';

/** The layer dirs in the store (hex of their diffIDs). */
const layerDirs = (): string[] => (existsSync(LAYERS) ? readdirSync(LAYERS).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort() : []);
/** Bytes the layers take on disk (hard links counted once, as du does). */
const du = (): number => (existsSync(LAYERS) ? Number(sh(`du -sb ${LAYERS}`).split('\t')[0]) : 0);
/** Every path of the layer store with type, mode, owner, size, mtime, plus every file's content hash. */
const storeHash = (): string =>
  sh(`cd ${LAYERS} && { find . -printf '%p %y %m %U:%G %s %T@\\n' | LC_ALL=C sort; find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum; } | sha256sum`);

async function ok(args: string[], timeoutMs?: number): Promise<RunResult> {
  const r = await tsmachine(args, timeoutMs ? { timeoutMs } : {});
  assert.equal(r.code, 0, `tsmachine ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r;
}

async function refused(args: string[], mention: string | RegExp): Promise<string> {
  const r = await tsmachine(args);
  const err = r.stderr.trim();
  assert.equal(r.code, 125, `tsmachine ${args.join(' ')}: ${r.stderr}`);
  assert.equal(err.split('\n').length, 1, `one line: ${err}`);
  if (typeof mention === 'string') assert.ok(err.includes(mention), `${err} should name ${mention}`);
  else assert.match(err, mention);
  return err;
}

/** name null (`<none>`): an image only containers hold, after rmi --force or a re-import of its name. */
interface Listed { name: string | null; id: string; source: string; layers: number; size: number | null; heldBy?: string[] }
interface Status { image: string; imageId: string }
const status = async (name: string): Promise<Status> => JSON.parse((await ok(['status', name, '--json'])).stdout) as Status;
const images = async (): Promise<Listed[]> => JSON.parse((await ok(['images', '--json'])).stdout) as Listed[];
interface Inspected { size: number; format: string; config: unknown; layers: { diffId: string }[] }
const inspect = async (name: string): Promise<Inspected> => JSON.parse((await ok(['image', 'inspect', name])).stdout) as Inspected;
const hexes = (rec: Inspected): string[] => rec.layers.map((l) => l.diffId.replace(/^sha256:/, ''));

/**
 * app (5 layers): busybox | files + an entrypoint | whiteout /etc/old | opaque /data | /other.
 * app2 (3 layers) shares the first two. Config: Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts.
 */
function buildFixtures(d: string): void {
  const extra = join(d, 'extra');
  for (const p of ['etc', 'data', 'srv', 'bin']) mkdirSync(join(extra, p), { recursive: true });
  writeFileSync(join(extra, 'etc', 'old'), 'old\n');
  writeFileSync(join(extra, 'etc', 'conf'), 'conf\n');
  writeFileSync(join(extra, 'data', 'a'), 'a\n');
  writeFileSync(join(extra, 'data', 'b'), 'b\n');
  writeFileSync(join(extra, 'bin', 'entry'), '#!/bin/sh\necho "entry: $*"\nexec "$@"\n');
  chmodSync(join(extra, 'bin', 'entry'), 0o755);
  mkdirSync(join(d, 'newdata'));
  writeFileSync(join(d, 'newdata', 'c'), 'c\n');
  mkdirSync(join(d, 'other'));
  writeFileSync(join(d, 'other', 'o'), 'o\n');
  const oci = join(d, 'oci');
  tool('umoci', ['init', '--layout', oci]);
  tool('umoci', ['new', '--image', `${oci}:base`]);
  tool('umoci', ['insert', '--image', `${oci}:base`, BUSYBOX_ROOTFS, '/']);
  tool('umoci', ['insert', '--image', `${oci}:base`, extra, '/']);
  tool('umoci', ['config', '--image', `${oci}:base`, '--config.entrypoint', '/bin/entry',
    '--config.cmd', 'sh', '--config.cmd', '-c', '--config.cmd', 'echo "cmd-ran in $(pwd) FOO=$FOO"',
    '--config.env', 'FOO=bar', '--config.env', 'BAR=baz', '--config.workingdir', '/srv', '--config.user', '1000:1000',
    '--config.exposedports', '8080/tcp', '--config.exposedports', '53/udp']);
  tool('umoci', ['insert', '--image', `${oci}:base`, '--tag', 'app', '--whiteout', '/etc/old']);
  tool('umoci', ['insert', '--image', `${oci}:app`, '--opaque', join(d, 'newdata'), '/data']);
  tool('umoci', ['insert', '--image', `${oci}:app`, join(d, 'other'), '/other']);
  tool('umoci', ['insert', '--image', `${oci}:base`, '--tag', 'app2', join(d, 'other'), '/other2']);
  tool('skopeo', ['copy', '-q', `oci:${oci}:app`, `docker-archive:${join(d, 'app.docker.tar')}:app:latest`]);
}

before(() => {
  dir = mkdtempSync('/tmp/icli-');
  buildFixtures(dir);
});

after(async () => {
  for (const n of created) await tsmachine(['rm', '--force', n]);
  for (const n of ['icli-app', 'icli-app-docker', 'icli-app2', 'icli-gz', 'icli-zst', 'icli-pipe', 'app:latest', 'icli-own']) await tsmachine(['rmi', '--force', n]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  rmSync(OUTSIDE, { recursive: true, force: true });
});

let appLayers: string[] = [];
let app2Layers: string[] = [];

test('import of the OCI layout and of the docker-archive: images --json lists id, layers, size; inspect shows the config', async () => {
  const before = layerDirs();
  const r = await ok(['import', '--name', 'icli-app', `${dir}/oci:app`]);
  assert.match(r.stdout.trim(), /^icli-app sha256:[0-9a-f]{64} \(5 layers, /);
  await ok(['import', '--name', 'icli-app-docker', join(dir, 'app.docker.tar')]);
  const listed = await images();
  const app = listed.find((i) => i.name === 'icli-app');
  const docker = listed.find((i) => i.name === 'icli-app-docker');
  assert.ok(app && docker, JSON.stringify(listed));
  assert.match(app.id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(docker.id, app.id, 'docker-archive and OCI layout are the same image');
  assert.equal(app.source, 'store');
  assert.equal(app.layers, 5);
  assert.equal(docker.layers, 5);
  assert.ok(app.size !== null && app.size > 1_000_000, `size ${app.size} counts the busybox layer`);
  assert.equal(docker.size, app.size);

  const rec = await inspect('icli-app');
  assert.deepEqual(rec.config, {
    entrypoint: ['/bin/entry'], cmd: ['sh', '-c', 'echo "cmd-ran in $(pwd) FOO=$FOO"'], env: ['FOO=bar', 'BAR=baz'],
    workingDir: '/srv', user: '1000:1000', exposedPorts: ['53/udp', '8080/tcp'],
  });
  assert.equal(rec.format, 'oci');
  appLayers = hexes(rec);
  assert.deepEqual(hexes(await inspect('icli-app-docker')), appLayers);
  assert.deepEqual(layerDirs(), [...before, ...appLayers].sort(), 'five layer dirs, stored once for both formats');
});

test('a second image sharing the base layers stores only its own layer (du before/after)', async () => {
  const duBefore = du();
  await ok(['import', '--name', 'icli-app2', `${dir}/oci:app2`]);
  const grew = du() - duBefore;
  const rec = await inspect('icli-app2');
  app2Layers = hexes(rec);
  assert.deepEqual(app2Layers.slice(0, 2), appLayers.slice(0, 2), 'the base layers are the same');
  const size = rec.size;
  assert.ok(size > 1_000_000, `app2 is ${size} bytes`);
  assert.ok(grew < 64 * 1024, `the store grew by ${grew} bytes for an image of ${size} bytes`);
  assert.ok(layerDirs().includes(app2Layers[2]!));
});

let uidInside = '';

test('run: no command runs Entrypoint+Cmd with the image\'s Env and WorkingDir; --env/--workdir override; deletions and opaque dirs hold', async () => {
  const plain = await ok(['run', '--rm', '--network', 'none', '--image', 'icli-app', 'icli-r1']);
  assert.deepEqual(plain.stdout.trim().split('\n'), ['entry: sh -c echo "cmd-ran in $(pwd) FOO=$FOO"', 'cmd-ran in /srv FOO=bar']);

  const script = 'echo "$FOO $BAR $(pwd)"; ls -A /data; test -e /etc/old || echo old-absent; cat /etc/conf /other/o; id -u';
  const over = await ok(['run', '--rm', '--network', 'none', '--image', 'icli-app', '--env', 'FOO=over', '--workdir', '/tmp', 'icli-r2', '--', 'sh', '-c', script]);
  const lines = over.stdout.trim().split('\n');
  assert.equal(lines[0], `entry: sh -c ${script}`, 'a command replaces Cmd, the Entrypoint stays');
  assert.equal(lines[1], 'over baz /tmp', '--env overrides FOO, BAR stays, --workdir wins');
  assert.equal(lines[2], 'c', 'the opaque /data hides a and b of the lower layer');
  assert.equal(lines[3], 'old-absent', '/etc/old was deleted in an upper layer');
  assert.deepEqual(lines.slice(4, 6), ['conf', 'o']);
  uidInside = lines[6] ?? '';

  const docker = await ok(['run', '--rm', '--network', 'none', '--image', 'icli-app-docker', 'icli-r3', '--', 'sh', '-c', 'ls -A /data; test -e /etc/old || echo old-absent']);
  assert.deepEqual(docker.stdout.trim().split('\n'), ['entry: sh -c ls -A /data; test -e /etc/old || echo old-absent', 'c', 'old-absent']);
});

test('the image\'s User applies to the payload; --user overrides it; an unknown user fails the start and leaves nothing', async () => {
  assert.equal(uidInside, '1000', 'the image says User 1000:1000');
  const asRoot = await ok(['run', '--rm', '--network', 'none', '--image', 'icli-app', '--user', '0', 'icli-r4', '--', 'sh', '-c', 'id -u; id -g']);
  assert.deepEqual(asRoot.stdout.trim().split('\n').slice(1), ['0', '0'], '--user 0 runs as root');

  await refused(['run', '--rm', '--network', 'none', '--image', 'icli-app', '--user', 'ghost', 'icli-r5', '--', 'true'], "no user 'ghost' in /etc/passwd");
  assert.ok(!existsSync(join(STATE, 'containers', 'icli-r5')), 'no container directory left');
  assert.equal(sh('systemctl list-units --all --plain --no-legend tsmachine-icli-r5.scope').trim(), '', 'no scope left');
  await refused(['run', '--rm', '--image', 'icli-app', '--user', 'a:b:c', 'icli-r6', '--', 'true'], "--user 'a:b:c' is not USER[:GROUP]");
});

test('start + exec: a container\'s writes stay in its upper dir; the layer store does not change', async () => {
  const hashBefore = storeHash();
  created.push('icli-c1');
  await ok(['start', '--network', 'none', '--image', 'icli-app', 'icli-c1', '--', 'sleep', '1000']);
  // exec runs as the container's user (the image's 1000), as docker exec does; -u 0 for root's work.
  assert.equal((await ok(['exec', 'icli-c1', 'id', '-u'])).stdout.trim(), '1000');
  const env = await ok(['exec', '--user', '0', 'icli-c1', 'sh', '-c', 'echo "$FOO $(pwd)"; echo new > /srv/new && echo changed >> /etc/conf && rm /data/c /bin/entry && mkdir /data/d']);
  assert.equal(env.stdout.trim(), 'bar /srv', 'exec gets the image\'s Env and WorkingDir');
  const seen = await ok(['exec', '-u', '0', 'icli-c1', 'sh', '-c', 'cat /srv/new /etc/conf; ls -A /data; test -e /bin/entry || echo entry-gone']);
  assert.deepEqual(seen.stdout.trim().split('\n'), ['new', 'conf', 'changed', 'd', 'entry-gone']);

  const upper = join(STATE, 'containers', 'icli-c1', 'upper');
  assert.equal(readFileSync(join(upper, 'srv', 'new'), 'utf8'), 'new\n');
  assert.equal(readFileSync(join(upper, 'etc', 'conf'), 'utf8'), 'conf\nchanged\n', 'the changed file was copied up');
  for (const gone of ['data/c', 'bin/entry']) {
    const st = lstatSync(join(upper, gone));
    assert.ok(st.isCharacterDevice() && st.rdev === 0, `${gone} is an overlay whiteout in the upper dir`);
  }
  assert.ok(lstatSync(join(upper, 'data', 'd')).isDirectory());
  assert.equal(storeHash(), hashBefore, 'no layer dir changed');
  assert.equal(readFileSync(join(LAYERS, appLayers[1]!, 'etc', 'conf'), 'utf8'), 'conf\n');
});

test('rmi of an image in use is refused naming the container; --force removes it; prune keeps the layers the container uses', async () => {
  await refused(['rmi', 'icli-app'], /^tsmachine: rmi icli-app: image 'icli-app' \(sha256:[0-9a-f]{64}\) is used by container icli-c1 /);
  await refused(['rmi', 'icli-app-docker'], 'used by container icli-c1'); // the same image id
  await ok(['rmi', '--force', 'icli-app']);
  await ok(['rmi', '--force', 'icli-app-docker']);
  await ok(['rmi', 'icli-app2']);
  const listed = await images();
  assert.deepEqual(listed.filter((i) => i.name?.startsWith('icli-')), []);
  const c1 = await status('icli-c1');
  assert.equal(c1.image, 'icli-app', 'the name it was created with stays');
  assert.deepEqual(listed.filter((i) => i.heldBy?.includes('icli-c1')).map((i) => [i.name, i.id, i.source, i.layers, i.heldBy]),
    [[null, c1.imageId, 'store', 5, ['icli-c1']]], 'listed once, as <none>, though two names went');
  assert.match((await ok(['status', 'icli-c1'])).stdout, new RegExp(`Image: icli-app \\(sha256:${c1.imageId.slice(7, 19)}, name removed\\)\n`));

  const pruned = await ok(['image', 'prune']);
  assert.match(pruned.stdout, /^removed [1-9]\d* layers, freed /);
  const left = layerDirs();
  assert.ok(!left.includes(app2Layers[2]!), 'app2\'s own layer was freed');
  for (const h of appLayers) assert.ok(left.includes(h), `layer ${h.slice(0, 12)} under icli-c1 kept`);
  const still = await ok(['exec', 'icli-c1', 'sh', '-c', 'cat /other/o; ls /bin/busybox']);
  assert.deepEqual(still.stdout.trim().split('\n'), ['o', '/bin/busybox']);

  await ok(['rm', '--force', 'icli-c1']);
  const again = await ok(['image', 'prune']);
  assert.ok(Number(/^removed (\d+) layers, freed /.exec(again.stdout)?.[1]) >= 5, again.stdout);
  const after = layerDirs();
  for (const h of appLayers) assert.ok(!after.includes(h), `layer ${h.slice(0, 12)} freed once no container uses it`);
});

test('hostile tarballs: exit 125 naming the member, nothing written outside the store, no image listed', async () => {
  mkdirSync(OUTSIDE, { recursive: true });
  writeFileSync(join(OUTSIDE, 'secret'), 'secret\n');
  const up = '../'.repeat(10);
  const dotdot = join(dir, 'dotdot.tar');
  writeFileSync(dotdot, await tarBuffer([
    { path: 'etc', type: 'dir' },
    { path: 'etc/ok', type: 'file', body: Buffer.from('ok\n') },
    { path: `${up}tmp/icli-outside/pwned`, type: 'file', body: Buffer.from('pwned\n') },
  ]));
  const symlink = join(dir, 'symlink.tar');
  writeFileSync(symlink, await tarBuffer([
    { path: 'escape', type: 'symlink', linkname: OUTSIDE },
    { path: 'escape/pwned', type: 'file', body: Buffer.from('pwned\n') },
  ]));
  const layersBefore = layerDirs();
  await refused(['import', '--name', 'icli-evil1', dotdot], `${up}tmp/icli-outside/pwned`);
  await refused(['import', '--name', 'icli-evil2', symlink], "'escape/pwned'");
  assert.deepEqual(readdirSync(OUTSIDE), ['secret'], 'nothing written outside the store');
  assert.equal(readFileSync(join(OUTSIDE, 'secret'), 'utf8'), 'secret\n');
  assert.ok(!existsSync('/pwned') && !existsSync(join(STATE, 'pwned')) && !existsSync('/tmp/pwned'));
  assert.deepEqual((await images()).filter((i) => i.name?.startsWith('icli-evil')), [], 'no image listed');
  assert.deepEqual(layerDirs(), layersBefore, 'no layer kept');
  assert.deepEqual(existsSync(join(STATE, 'tmp')) ? readdirSync(join(STATE, 'tmp')) : [], [], 'no temp dir left');
});

/** `cat FILE | tsmachine import ARGS… -`: the archive through a real pipe. */
const importPiped = (file: string, args: string[]): Promise<RunResult> =>
  run('/bin/sh', ['-c', `cat '${file}' | '${CLI}' import ${args.join(' ')} -`], { timeoutMs: 120_000 });
const tmpLeft = (): string[] => (existsSync(join(STATE, 'tmp')) ? readdirSync(join(STATE, 'tmp')) : []);

test('compressed archives: skopeo\'s docker-archive | gzip and oci-archive | zstd import as the same image and run', async () => {
  sh(`gzip -c '${dir}/app.docker.tar' > '${dir}/app.docker.tar.gz'`);
  tool('skopeo', ['copy', '-q', `oci:${dir}/oci:app`, `oci-archive:${join(dir, 'app.oci.tar')}:app`]);
  sh(`zstd -q '${dir}/app.oci.tar' -o '${dir}/app.oci.tar.zst'`);
  await ok(['import', '--name', 'icli-gz', join(dir, 'app.docker.tar.gz')]);
  await ok(['import', '--name', 'icli-zst', join(dir, 'app.oci.tar.zst')]);
  const gz = await inspect('icli-gz');
  const zst = await inspect('icli-zst');
  assert.equal(gz.format, 'docker-archive');
  assert.equal(zst.format, 'oci');
  assert.deepEqual(hexes(gz), appLayers, 'the same layers as the plain OCI layout');
  assert.deepEqual(hexes(zst), appLayers);
  assert.deepEqual(tmpLeft(), [], 'the decompressed copies are gone');
  const r = await ok(['run', '--rm', '--network', 'none', '--image', 'icli-gz', 'icli-r7', '--', 'sh', '-c', 'cat /other/o; ls -A /data']);
  assert.deepEqual(r.stdout.trim().split('\n'), ['entry: sh -c cat /other/o; ls -A /data', 'o', 'c']);
});

test('import -: a gzip archive piped in with --name; a docker-archive names itself; a rootfs without --name is refused; no progress on a pipe', async () => {
  const piped = await importPiped(join(dir, 'app.docker.tar.gz'), ['--name', 'icli-pipe']);
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout.trim(), /^icli-pipe sha256:[0-9a-f]{64} \(5 layers, /);
  assert.equal(piped.stderr, '', 'stderr is not a terminal: no progress lines');
  assert.deepEqual(hexes(await inspect('icli-pipe')), appLayers);

  const named = await importPiped(join(dir, 'app.docker.tar'), []);
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, /^app:latest sha256:/, 'RepoTags name it');

  sh(`tar -C '${BUSYBOX_ROOTFS}' -cf '${dir}/busybox.tar' .`);
  const nameless = await importPiped(join(dir, 'busybox.tar'), []);
  assert.equal(nameless.code, 125);
  assert.equal(nameless.stderr.trim(), 'tsmachine: import -: the archive on stdin carries no image name; pass --name');
  assert.deepEqual(tmpLeft(), [], 'no spooled copy left, on success or refusal');
});

test('start, stop, rmi --force, re-import of the name, start again: the container runs on its own layers; prune keeps them; gone by hand → one line', async () => {
  // An image of its own (a marker no other test has), piped in as a gzip rootfs tarball.
  const own = join(dir, 'own');
  sh(`cp -a '${BUSYBOX_ROOTFS}' '${own}' && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > '${own}/marker' && tar -C '${own}' -czf '${dir}/own.tar.gz' .`);
  const marker = readFileSync(join(own, 'marker'), 'utf8');
  const imported = await importPiped(join(dir, 'own.tar.gz'), ['--name', 'icli-own']);
  assert.equal(imported.code, 0, imported.stderr);
  const rec = await inspect('icli-own');
  const id = (await images()).find((i) => i.name === 'icli-own')!.id;
  const [layerHex] = hexes(rec);

  created.push('icli-c2');
  await ok(['start', '--network', 'none', '--image', 'icli-own', 'icli-c2', '--', 'sleep', '1000']);
  await ok(['exec', 'icli-c2', 'sh', '-c', 'echo kept > /state']);
  await ok(['stop', '--time', '1', 'icli-c2']);

  await refused(['rmi', 'icli-own'], 'used by container icli-c2');
  await ok(['rmi', '--force', 'icli-own']);
  // The name now means another image, which no container uses: rmi of it is not refused.
  await ok(['import', '--name', 'icli-own', `${dir}/oci:app2`]);
  assert.equal((await status('icli-c2')).imageId, id, 'what it runs, not what the name means now');
  assert.match((await ok(['status', 'icli-c2'])).stdout, new RegExp(`Image: icli-own \\(sha256:${id.slice(7, 19)}, name now sha256:[0-9a-f]{12}\\)\n`));
  await ok(['start', 'icli-c2']);
  const seen = await ok(['exec', 'icli-c2', 'sh', '-c', 'cat /marker; echo; cat /state; test -e /other2 || echo no-other2']);
  assert.deepEqual(seen.stdout.trim().split('\n'), [marker, 'kept', 'no-other2'], 'its own files and its own image, not the new icli-own');
  await ok(['rmi', 'icli-own']);
  assert.deepEqual((await images()).filter((i) => i.id === id).map((i) => [i.name, i.heldBy]), [[null, ['icli-c2']]]);

  await ok(['image', 'prune']);
  assert.ok(layerDirs().includes(layerHex!), 'prune keeps the layer of a running container whose image has no name');
  await ok(['stop', '--time', '1', 'icli-c2']);
  await ok(['image', 'prune']);
  assert.ok(layerDirs().includes(layerHex!), 'and of a stopped one');
  await ok(['start', 'icli-c2']);
  assert.equal((await ok(['exec', 'icli-c2', 'cat', '/state'])).stdout, 'kept\n');
  await ok(['stop', '--time', '1', 'icli-c2']);

  rmSync(join(LAYERS, layerHex!), { recursive: true, force: true });
  rmSync(join(LAYERS, `${layerHex}.json`), { force: true });
  await refused(['start', 'icli-c2'], `image ${id} (was 'icli-own') is gone: layer sha256:${layerHex} is missing from the layer store`);
  assert.equal(sh('systemctl list-units --all --plain --no-legend tsmachine-icli-c2.scope').trim(), '', 'no scope left by the refused start');
  await ok(['rm', 'icli-c2']);
});
