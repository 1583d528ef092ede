/**
 * The client on a peer connection, as to systemd's private socket: no bus
 * daemon, so no Hello, AddMatch or Subscribe go out, and signals arrive
 * unasked (without a sender). The server here is a few lines of SASL and
 * message framing written for the test, playing systemd's part in the
 * exchanges a start and a failed start make; the real systemd is met by the
 * VM suite, which runs every start over its private socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus } from '../../src/systemd/bus.js';
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from '../../src/systemd/dbus/message.js';
import { SystemdManager } from '../../src/systemd/manager.js';
import { SystemdJobError } from '../../src/systemd/errors.js';
import { scopeProperties } from '../../src/systemd/properties.js';

const SD = { path: '/org/freedesktop/systemd1', manager: 'org.freedesktop.systemd1.Manager' };

interface Peer {
  /** Every message a client sent, in order. */
  received: Message[];
  /** Answer calls by member; the default replies with no body. */
  onCall: (m: Message, send: (reply: Omit<Message, 'serial'>) => void) => void;
}

/** A one-connection-at-a-time server: EXTERNAL auth, then framed messages. */
function startPeer(path: string, peer: Peer): Promise<Server> {
  let serial = 0;
  const server = createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    let authed = false;
    const send = (m: Omit<Message, 'serial'>): void => { sock.write(encodeMessage({ ...m, serial: ++serial })); };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (!authed) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString().replace(/^\0/, '');
        buf = buf.subarray(nl + 2);
        if (line.startsWith('AUTH EXTERNAL')) sock.write('OK 0123456789abcdef0123456789abcdef\r\n');
        else if (line === 'BEGIN') authed = true;
        else sock.write('ERROR\r\n');
      }
      for (;;) {
        if (buf.length < 16) return;
        const len = messageLength(buf.subarray(0, 16));
        if (len === null || buf.length < len) return;
        const m = decodeMessage(buf.subarray(0, len));
        buf = buf.subarray(len);
        peer.received.push(m);
        if (m.type === MessageType.MethodCall) peer.onCall(m, send);
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

const reply = (m: Message, signature = '', body: Message['body'] = []): Omit<Message, 'serial'> =>
  ({ type: MessageType.MethodReturn, flags: 0, replySerial: m.serial, signature, body });
const jobRemoved = (id: number, unit: string, result: string): Omit<Message, 'serial'> =>
  ({ type: MessageType.Signal, flags: 0, path: SD.path, interface: SD.manager, member: 'JobRemoved', signature: 'uoss', body: [id, `${SD.path}/job/${id}`, unit, result] });

describe('peer connection (systemd private socket)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-peer-'));
  const path = join(dir, 'private');
  const peer: Peer = { received: [], onCall: (m, send) => send(reply(m)) };
  let server: Server;

  before(async () => { server = await startPeer(path, peer); });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no Hello: the first message on the wire is the caller\'s own call', async () => {
    peer.received.length = 0;
    peer.onCall = (m, send) => send(reply(m, 's', ['pong']));
    const bus = await connectBus(`unix:path=${path}`, { peer: true });
    try {
      assert.equal(bus.uniqueName, '');
      const [v] = await bus.call({ destination: 'org.freedesktop.systemd1', path: SD.path, interface: SD.manager, member: 'GetVersion' });
      assert.equal(v, 'pong');
      assert.deepEqual(peer.received.map((m) => m.member), ['GetVersion']);
    } finally {
      await bus.close();
    }
  });

  test('a scope start sends StartTransientUnit alone and takes JobRemoved without Subscribe or AddMatch', async () => {
    peer.received.length = 0;
    peer.onCall = (m, send) => {
      if (m.member !== 'StartTransientUnit') return send(reply(m));
      // systemd's order on its own socket: others' signals, the reply, then our job's end.
      send(jobRemoved(6, 'other.service', 'failed'));
      send(reply(m, 'o', [`${SD.path}/job/7`]));
      send(jobRemoved(7, String(m.body[0]), 'done'));
    };
    const bus = await connectBus(`unix:path=${path}`, { peer: true });
    try {
      const mgr = new SystemdManager(bus, { timeoutMs: 5000 });
      await mgr.startTransientScope('tsm-peer.scope', scopeProperties({ description: 'peer', pids: [1], limits: {} }));
      assert.deepEqual(peer.received.map((m) => m.member), ['StartTransientUnit']);
    } finally {
      await bus.close();
    }
  });

  test('a failed job still fails: the signal\'s body is read when a listener wants it', async () => {
    peer.received.length = 0;
    peer.onCall = (m, send) => {
      send(reply(m, 'o', [`${SD.path}/job/9`]));
      send(jobRemoved(9, String(m.body[0]), 'failed'));
    };
    const bus = await connectBus(`unix:path=${path}`, { peer: true });
    try {
      const mgr = new SystemdManager(bus, { timeoutMs: 5000 });
      await assert.rejects(mgr.startTransientScope('tsm-peer2.scope', scopeProperties({ description: 'peer', pids: [1], limits: {} })),
        (e: unknown) => e instanceof SystemdJobError && /failed/.test(e.message));
    } finally {
      await bus.close();
    }
  });
});

test('decodeMessage leaves the body alone when the caller declines it, and still checks the framing', () => {
  const bytes = encodeMessage({ serial: 3, ...jobRemoved(1, 'a.scope', 'done') });
  const skipped = decodeMessage(bytes, (h) => h.member !== 'JobRemoved');
  assert.equal(skipped.member, 'JobRemoved');
  assert.equal(skipped.signature, 'uoss');
  assert.deepEqual(skipped.body, []);
  assert.deepEqual(decodeMessage(bytes, () => true).body, [1, '/org/freedesktop/systemd1/job/1', 'a.scope', 'done']);
  assert.throws(() => decodeMessage(bytes.subarray(0, bytes.length - 1), () => false), /length/);
});
