import { parseAddress } from './address.js';
import { authRequest, parseAuthReply } from './auth.js';
import { concatBytes } from './bytes.js';
import { BusError, DBusConnectionError, DBusProtocolError, DBusTimeoutError, type CallTarget } from './errors.js';
import { headerMatches, matchRuleString, ruleMatches, type MatchRule } from './match.js';
import { decodeMessage, encodeMessage, messageLength, MessageFlags, MessageType, type Message } from './message.js';
import { BusSocket } from './socket.js';
import { errnoName } from '../../kernel/errors.js';
import { asString, type DBusValue } from './values.js';

export interface ConnectOptions {
  /** Default reply timeout of method calls (ms). */
  timeoutMs?: number;
  /** Budget for connect + authenticate + Hello (ms). */
  connectTimeoutMs?: number;
  /**
   * A direct connection to one server (systemd's private socket), no bus
   * daemon between: no Hello, no AddMatch (the server sends the signals it
   * sends, and listeners filter them here).
   */
  peer?: boolean;
}

export interface CallRequest extends CallTarget {
  path: string;
  member: string;
  /** Body signature; omit for no arguments. */
  signature?: string;
  body?: DBusValue[];
  timeoutMs?: number;
  /** Let polkit ask the user (systemd honours it for privileged calls). */
  allowInteractiveAuthorization?: boolean;
}

export type SignalListener = (signal: Message) => void;

export interface Subscription {
  /** Stop delivering and drop the bus-side match rule. */
  remove(): Promise<void>;
}

export interface IncomingCall {
  sender: string | undefined;
  path: string;
  interface: string | undefined;
  member: string;
  signature: string;
  body: DBusValue[];
}
export interface MethodReply {
  signature: string;
  body: DBusValue[];
}
export type MethodHandler = (call: IncomingCall) => MethodReply | void | Promise<MethodReply | void>;

interface Pending {
  resolve(m: Message): void;
  reject(e: Error): void;
  cancelTimeout: () => void;
  target: CallTarget;
}

/** A timeout on the connection's clock (see BusConnection.after). */
interface Deadline {
  at: number;
  fire: () => void;
}

const nowMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' } as const;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One authenticated connection to a message bus.
 *
 * The socket is unref'd whenever nothing is outstanding (no call awaiting a
 * reply, no signal listener, no exported method), so a CLI that forgets to
 * close() still exits; close() is the clean way out and rejects whatever
 * is still pending.
 */
export class BusConnection {
  /** Our unique name on the bus (":1.42"), from Hello; '' on a peer connection. */
  uniqueName = '';
  readonly address: string;
  /** A direct connection to a server, not to a bus (see ConnectOptions.peer). */
  readonly peer: boolean;

  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<{ rule: MatchRule; listener: SignalListener }>();
  private readonly handlers = new Map<string, MethodHandler>();
  private readonly closeListeners = new Set<(err: Error) => void>();
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private need: number | null = null;
  private closedWith: Error | null = null;
  private readonly timeoutMs: number;
  private readonly deadlines = new Set<Deadline>();

  private constructor(
    private readonly socket: BusSocket,
    address: string,
    opts: ConnectOptions,
  ) {
    this.address = address;
    this.peer = opts.peer ?? false;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    socket.onTick = () => this.checkDeadlines();
  }

  /**
   * Connect, authenticate (EXTERNAL) and say Hello. The connect and the
   * writes of AUTH, BEGIN and Hello happen before this returns its promise
   * (see socket.ts), so the bus answers while the caller goes on working.
   */
  static async connect(address: string, opts: ConnectOptions = {}): Promise<BusConnection> {
    const { socketPath } = parseAddress(address);
    const budget = opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = BusSocket.connect(socketPath, address);
    const conn = new BusConnection(socket, address, opts);
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    const authenticated = conn.authenticate(uid, budget);
    // Written right behind AUTH and BEGIN: the reply follows the server's OK.
    const hello = conn.peer ? null : conn.call({ ...BUS, member: 'Hello', timeoutMs: budget });
    try {
      await authenticated;
      if (hello) conn.uniqueName = asString((await hello)[0], 'Hello reply');
    } catch (err) {
      hello?.catch(() => {});
      conn.fail(err as Error);
      throw err;
    }
    conn.refresh();
    return conn;
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Call a method and resolve with the reply body; error replies reject with BusError. */
  async call(req: CallRequest): Promise<DBusValue[]> {
    return (await this.callMessage(req)).body;
  }

  /** Like call(), resolving with the whole reply (its signature, sender...). */
  callMessage(req: CallRequest): Promise<Message> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const target: CallTarget = { destination: req.destination, path: req.path, interface: req.interface, member: req.member, object: req.object };
    const serial = this.nextSerial();
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage({
        type: MessageType.MethodCall,
        flags: req.allowInteractiveAuthorization ? MessageFlags.AllowInteractiveAuthorization : 0,
        serial,
        destination: req.destination,
        path: req.path,
        interface: req.interface,
        member: req.member,
        signature: req.signature ?? '',
        body: req.body ?? [],
      });
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    return new Promise<Message>((resolve, reject) => {
      const cancelTimeout = this.after(timeoutMs, () => {
        this.pending.delete(serial);
        this.refresh();
        reject(new DBusTimeoutError(target, timeoutMs));
      });
      this.pending.set(serial, { resolve, reject, cancelTimeout, target });
      this.refresh();
      this.send(bytes);
    });
  }

  /** Broadcast a signal from this connection. */
  emitSignal(path: string, iface: string, member: string, signature = '', body: DBusValue[] = []): void {
    if (this.closedWith) throw this.closedWith;
    this.send(encodeMessage({ type: MessageType.Signal, flags: MessageFlags.NoReplyExpected, serial: this.nextSerial(), path, interface: iface, member, signature, body }));
  }

  /**
   * Ask the bus to route matching signals to us (AddMatch) and deliver them
   * to `listener`. The listener is live before AddMatch is sent, so no
   * signal the bus routes after accepting the rule can be missed.
   */
  async addMatch(rule: MatchRule, listener: SignalListener): Promise<Subscription> {
    const off = this.onSignal(rule, listener);
    if (this.peer) return { remove: async () => off() }; // no bus to ask
    const text = matchRuleString(rule);
    try {
      await this.call({ ...BUS, member: 'AddMatch', signature: 's', body: [text] });
    } catch (err) {
      off();
      throw err;
    }
    let removed = false;
    return {
      remove: async () => {
        if (removed) return;
        removed = true;
        off();
        if (!this.closedWith) await this.call({ ...BUS, member: 'RemoveMatch', signature: 's', body: [text] });
      },
    };
  }

  /** Deliver matching signals already routed to us (no AddMatch); returns the unsubscribe. */
  onSignal(rule: MatchRule, listener: SignalListener): () => void {
    const entry = { rule, listener };
    this.listeners.add(entry);
    this.refresh();
    return () => {
      this.listeners.delete(entry);
      this.refresh();
    };
  }

  /** Answer method calls to path/interface/member; returns the unexport. */
  exportMethod(path: string, iface: string, member: string, handler: MethodHandler): () => void {
    const key = `${path}\0${iface}\0${member}`;
    this.handlers.set(key, handler);
    this.refresh();
    return () => {
      this.handlers.delete(key);
      this.refresh();
    };
  }

  /**
   * Runs fire once, ms from now, unless the returned cancel runs first.
   * Node's timers are not used: their first use is JavaScript compiled for
   * every start (docs/decisions.md). The socket's reader reports each 200 ms without data
   * (native/addon/socket.c), and deadlines are checked then and whenever
   * data arrives, so one fires at most 200 ms late. Only while the
   * connection is open: close() drops them (pending calls reject then).
   */
  after(ms: number, fire: () => void): () => void {
    const d: Deadline = { at: nowMs() + ms, fire };
    this.deadlines.add(d);
    return () => { this.deadlines.delete(d); };
  }

  /** Called once when the connection ends for any reason (with why). */
  onClose(listener: (err: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Close the connection; pending calls reject. Resolves once the socket is gone. */
  async close(): Promise<void> {
    if (this.closedWith) return;
    this.socket.ref(true); // keep the loop alive until the socket is really closed
    this.shutdown(new DBusConnectionError('connection closed', this.address));
    this.socket.shutdown();
    await this.socket.ended;
  }

  // ---------------------------------------------------------------------

  private nextSerial(): number {
    this.serial = this.serial >= 0xffffffff ? 1 : this.serial + 1;
    return this.serial;
  }

  private refresh(): void {
    if (this.closedWith) return;
    this.socket.ref(this.pending.size > 0 || this.listeners.size > 0 || this.handlers.size > 0);
  }

  /**
   * The SASL exchange: the request goes out now; the server's reply line is
   * the first thing on the socket, the message stream follows it.
   */
  private authenticate(uid: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffered: Uint8Array = new Uint8Array(0);
      const cancelTimeout = this.after(timeoutMs, () => reject(new DBusConnectionError(`no authentication reply within ${timeoutMs} ms`, this.address)));
      this.socket.onEnd = (errno) => {
        cancelTimeout();
        reject(new DBusConnectionError(errno ? `socket error during authentication: ${errnoName(errno)}` : 'bus closed the connection during authentication', this.address));
      };
      this.socket.onData = (chunk) => {
        buffered = buffered.length === 0 ? chunk : concatBytes([buffered, chunk]);
        const reply = parseAuthReply(buffered);
        if (reply.kind === 'more') return;
        cancelTimeout();
        if (reply.kind === 'rejected') return reject(new DBusConnectionError(`${reply.reason} as uid ${uid}`, this.address));
        this.socket.onData = (c) => this.onData(c);
        this.socket.onEnd = (errno) => this.fail(new DBusConnectionError(errno ? `socket error: ${errnoName(errno)}` : 'the bus closed the connection', this.address));
        resolve();
        if (reply.rest.length) this.onData(reply.rest);
      };
      this.send(authRequest(uid));
    });
  }

  /** Writes now; a failed write ends the connection (pending calls reject with why). */
  private send(bytes: Uint8Array): void {
    const errno = this.socket.write(bytes);
    if (errno) this.fail(new DBusConnectionError(`cannot send to the bus: ${errnoName(errno)}`, this.address));
  }

  /** Fires the deadlines that have passed (on each tick of the reader and each chunk). */
  private checkDeadlines(): void {
    if (this.deadlines.size === 0) return;
    const now = nowMs();
    for (const d of [...this.deadlines]) {
      if (d.at > now || !this.deadlines.delete(d)) continue;
      d.fire();
    }
  }

  private onData(chunk: Uint8Array): void {
    if (this.closedWith) return;
    this.checkDeadlines();
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      for (;;) {
        if (this.need === null) {
          if (this.buffered < 16) return;
          this.need = messageLength(this.head(16));
        }
        if (this.need === null || this.buffered < this.need) return;
        const bytes = this.take(this.need);
        this.need = null;
        this.dispatch(decodeMessage(bytes, (h) => h.type !== MessageType.Signal || this.listensFor(h)));
      }
    } catch (cause) {
      const err = cause instanceof DBusProtocolError ? cause : new DBusProtocolError(String(cause), { cause });
      this.fail(new DBusConnectionError(`invalid data from the bus: ${err.message}`, this.address, { cause: err }));
    }
  }

  private head(n: number): Uint8Array {
    if (this.chunks[0]!.length < n) this.chunks = [concatBytes(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Uint8Array {
    if (this.chunks[0]!.length < n) this.chunks = [concatBytes(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  /** Whether a listener may want this signal, judged from its header. */
  private listensFor(header: Message): boolean {
    for (const { rule } of this.listeners) if (headerMatches(rule, header)) return true;
    return false;
  }

  private dispatch(m: Message): void {
    switch (m.type) {
      case MessageType.MethodReturn:
      case MessageType.Error: {
        const p = this.pending.get(m.replySerial!);
        if (!p) return; // a reply after its timeout: drop it
        this.pending.delete(m.replySerial!);
        p.cancelTimeout();
        this.refresh();
        if (m.type === MessageType.MethodReturn) p.resolve(m);
        else p.reject(new BusError(m.errorName!, typeof m.body[0] === 'string' ? m.body[0] : '', p.target));
        return;
      }
      case MessageType.Signal:
        for (const { rule, listener } of [...this.listeners]) {
          if (!ruleMatches(rule, m)) continue;
          try {
            listener(m);
          } catch (err) {
            // A listener bug must not break the read loop, nor vanish.
            queueMicrotask(() => {
              throw err;
            });
          }
        }
        return;
      case MessageType.MethodCall:
        void this.answer(m);
        return;
      default:
        return; // unknown message types are ignored, per the specification
    }
  }

  private async answer(m: Message): Promise<void> {
    const wantsReply = (m.flags & MessageFlags.NoReplyExpected) === 0;
    const reply = (fields: Partial<Message>): void => {
      if (!wantsReply || this.closedWith) return;
      this.send(encodeMessage({ type: MessageType.MethodReturn, flags: MessageFlags.NoReplyExpected, serial: this.nextSerial(), replySerial: m.serial, destination: m.sender, signature: '', body: [], ...fields }));
    };
    const error = (name: string, text: string): void => reply({ type: MessageType.Error, errorName: name, signature: 's', body: [text] });
    if (m.interface === 'org.freedesktop.DBus.Peer' && m.member === 'Ping') return reply({});
    let handler = m.interface !== undefined ? this.handlers.get(`${m.path}\0${m.interface}\0${m.member}`) : undefined;
    if (!handler && m.interface === undefined) {
      for (const [key, h] of this.handlers) {
        const [path, , member] = key.split('\0');
        if (path === m.path && member === m.member) handler = h;
      }
    }
    if (!handler) return error('org.freedesktop.DBus.Error.UnknownMethod', `No such method ${m.interface ?? ''}.${m.member} on ${m.path}`);
    try {
      const result = await handler({ sender: m.sender, path: m.path!, interface: m.interface, member: m.member!, signature: m.signature, body: m.body });
      reply(result ? { signature: result.signature, body: result.body } : {});
    } catch (err) {
      if (err instanceof BusError) error(err.errorName, err.detail);
      else error('org.freedesktop.DBus.Error.Failed', err instanceof Error ? err.message : String(err));
    }
  }

  private shutdown(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.deadlines.clear();
    this.listeners.clear();
    this.handlers.clear();
    for (const l of [...this.closeListeners]) l(err);
    this.closeListeners.clear();
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.shutdown(err);
    this.socket.shutdown();
  }
}
