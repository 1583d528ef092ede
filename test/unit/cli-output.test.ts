import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * src/cli/output.ts writes the CLI's lines with write(2): in order, whole,
 * without loading Node's net/stream stack for a pipe, quiet when the reader
 * is gone, and through Node's stream (still in order) when a non-blocking
 * pipe is full.
 */
const OUTPUT = fileURLToPath(new URL('../../src/cli/output.js', import.meta.url));

/** A node child that prints `count` numbered lines of `width` characters, then reports on stderr whether it loaded net or stream. */
function child(count: number, width: number): string[] {
  const script = `import { printOut, printErr } from ${JSON.stringify(OUTPUT)};
for (let i = 0; i < ${count}; i++) printOut(String(i).padStart(${width}, '.'));
process.on('exit', () => printErr(process.moduleLoadList.filter((m) => m === 'NativeModule net' || m === 'NativeModule stream').join(',') + '\\n'));`;
  return [process.execPath, '--input-type=module', '-e', script];
}
const expected = (count: number, width: number): string => Array.from({ length: count }, (_, i) => `${String(i).padStart(width, '.')}\n`).join('');

function printTo(count: number): { status: number | null; stdout: string; stderr: string } {
  const [node, ...args] = child(count, 60);
  return spawnSync(node!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
}
// What a child that prints nothing loads (the ES module loader brings stream along).
const quiet = printTo(0).stderr;

test('lines reach a pipe in order and whole, and printing loads no net or stream', () => {
  const r = printTo(2000);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, expected(2000, 60));
  assert.doesNotMatch(quiet, /net/);
  assert.equal(r.stderr, quiet, 'no module loaded beyond what a child printing nothing loads');
});

test('a reader that went away ends the output quietly (exit 0, nothing on stderr but the report)', async () => {
  const [node, ...args] = child(20000, 60);
  const c = spawn(node!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  c.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  c.stdout.once('data', () => c.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => c.on('close', resolve));
  assert.equal(code, 0, err);
  assert.equal(err, quiet, 'no error, and the stream never took over');
});

test('a full non-blocking pipe: the rest goes through the stream, in order and complete', () => {
  // Python gives the child a pipe with O_NONBLOCK set and starts reading only
  // once the pipe is full (FIONREAD = its capacity): the child's next write
  // meets EAGAIN, and 1.2 MB of lines leave plenty of next writes.
  const [node, ...args] = child(20000, 60);
  const py = `import fcntl, os, struct, subprocess, sys, termios, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
size = fcntl.fcntl(r, 1032)  # F_GETPIPE_SZ
p = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
os.close(w)
deadline = time.time() + 60
while struct.unpack('i', fcntl.ioctl(r, termios.FIONREAD, b'\\0\\0\\0\\0'))[0] < size and time.time() < deadline:
    time.sleep(0.01)
time.sleep(0.1)
data = b''
while True:
    b = os.read(r, 1 << 16)
    if not b: break
    data += b
err = p.stderr.read()
sys.stdout.buffer.write(b'%d %s\\n' % (p.wait(), err.strip()))
sys.stdout.buffer.write(data)`;
  const r = spawnSync('python3', ['-c', py, node!, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  const nl = r.stdout.indexOf('\n');
  const status = r.stdout.slice(0, nl);
  assert.match(status, /^0 /, 'exit 0');
  assert.match(status, /NativeModule net/, 'the stream took over (EAGAIN was hit)');
  assert.equal(r.stdout.slice(nl + 1), expected(20000, 60));
});
