import { DBusProtocolError } from './errors.js';
import { marshal, Writer } from './marshal.js';
import { parseSignature } from './signature.js';
import { Reader } from './unmarshal.js';
import { isVariant, type DBusValue } from './values.js';

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;
export const MessageFlags = { NoReplyExpected: 0x1, NoAutoStart: 0x2, AllowInteractiveAuthorization: 0x4 } as const;

/** Header field codes and the type each must carry. */
const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8, unixFds: 9 } as const;
const FIELD_SIG: Record<number, string> = { 1: 'o', 2: 's', 3: 's', 4: 's', 5: 'u', 6: 's', 7: 's', 8: 'g', 9: 'u' };

/** Whole messages are capped by the specification at 128 MiB. */
export const MAX_MESSAGE_LENGTH = 128 * 1024 * 1024;
const FIXED_HEADER = 16;
const HEADER_FIELDS = parseSignature('a(yv)')[0]!;

export interface Message {
  type: number;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  /** Body signature; '' for no body. */
  signature: string;
  unixFds?: number;
  body: DBusValue[];
}

/** Serialise a message, always little-endian, protocol version 1. */
export function encodeMessage(m: Message): Uint8Array {
  const body = m.signature ? marshal(m.signature, m.body) : new Uint8Array(0);
  if (!m.signature && m.body.length > 0) throw new DBusProtocolError('message body given without a signature');
  const fields: DBusValue[] = [];
  const add = (code: number, value: string | number | undefined): void => {
    if (value === undefined) return;
    fields.push([code, { signature: FIELD_SIG[code]!, value }]);
  };
  add(FIELD.path, m.path);
  add(FIELD.interface, m.interface);
  add(FIELD.member, m.member);
  add(FIELD.errorName, m.errorName);
  add(FIELD.replySerial, m.replySerial);
  add(FIELD.destination, m.destination);
  add(FIELD.sender, m.sender);
  if (m.signature) add(FIELD.signature, m.signature);
  add(FIELD.unixFds, m.unixFds);
  const w = new Writer(FIXED_HEADER + 128 + body.length);
  marshal('yyyyuua(yv)', [0x6c /* 'l' */, m.type, m.flags, 1, body.length, m.serial, fields], w);
  w.align(8);
  w.bytes(body);
  const out = w.finish();
  if (out.length > MAX_MESSAGE_LENGTH) throw new DBusProtocolError(`message of ${out.length} bytes exceeds the 128 MiB limit`);
  return out;
}

/**
 * Given the first bytes of the stream, the length of the whole message, or
 * null if fewer than 16 bytes are buffered. Rejects impossible sizes early so
 * a garbled stream is not buffered up to memory exhaustion.
 */
export function messageLength(head: Uint8Array): number | null {
  if (head.length < FIXED_HEADER) return null;
  const le = endianness(head[0]!);
  if (head[3] !== 1) throw new DBusProtocolError(`unsupported protocol version ${head[3]}`);
  const view = new DataView(head.buffer, head.byteOffset, FIXED_HEADER);
  const bodyLen = view.getUint32(4, le);
  const fieldsLen = view.getUint32(12, le);
  const total = FIXED_HEADER + fieldsLen + ((8 - (fieldsLen % 8)) % 8) + bodyLen;
  if (total > MAX_MESSAGE_LENGTH) throw new DBusProtocolError(`message of ${total} bytes exceeds the 128 MiB limit`);
  return total;
}

function endianness(b: number): boolean {
  if (b === 0x6c) return true; // 'l'
  if (b === 0x42) return false; // 'B'
  throw new DBusProtocolError(`invalid endianness marker 0x${b.toString(16)}`);
}

/**
 * Parse exactly one message occupying all of `buf`. `wantBody`, given the
 * header, may decline the body (it stays []): a connection skips the
 * arguments of signals no listener asked for.
 */
export function decodeMessage(buf: Uint8Array, wantBody?: (header: Message) => boolean): Message {
  const total = messageLength(buf);
  if (total === null || total !== buf.length) throw new DBusProtocolError(`message length mismatch (have ${buf.length} bytes)`);
  const le = endianness(buf[0]!);
  const r = new Reader(buf, le);
  r.u8(); // endianness, checked above
  const type = r.u8();
  const flags = r.u8();
  r.u8(); // version, checked above
  const bodyLen = r.u32();
  const serial = r.u32();
  const rawFields = r.read(HEADER_FIELDS) as DBusValue[];
  if (serial === 0) throw new DBusProtocolError('message serial 0');
  const m: Message = { type, flags, serial, signature: '', body: [] };
  for (const f of rawFields) {
    const [code, v] = f as [number, DBusValue];
    if (!isVariant(v)) throw new DBusProtocolError('header field is not a variant');
    const want = FIELD_SIG[code];
    if (want === undefined) continue; // unknown fields must be ignored
    if (v.signature !== want) throw new DBusProtocolError(`header field ${code} has type '${v.signature}', expected '${want}'`);
    switch (code) {
      case FIELD.path: m.path = v.value as string; break;
      case FIELD.interface: m.interface = v.value as string; break;
      case FIELD.member: m.member = v.value as string; break;
      case FIELD.errorName: m.errorName = v.value as string; break;
      case FIELD.replySerial: m.replySerial = v.value as number; break;
      case FIELD.destination: m.destination = v.value as string; break;
      case FIELD.sender: m.sender = v.value as string; break;
      case FIELD.signature: m.signature = v.value as string; break;
      case FIELD.unixFds: m.unixFds = v.value as number; break;
    }
  }
  requireFields(m);
  r.align(8);
  if (r.pos + bodyLen !== buf.length) throw new DBusProtocolError('body length does not match the message length');
  if (wantBody && !wantBody(m)) return m;
  const types = parseSignature(m.signature);
  const body = new Reader(r.buf.subarray(r.pos), le, 0, r.pos);
  m.body = types.map((t) => body.read(t));
  if (body.pos !== bodyLen) throw new DBusProtocolError(`body has ${bodyLen - body.pos} bytes beyond signature '${m.signature}'`);
  return m;
}

function requireFields(m: Message): void {
  const missing = (what: string): never => {
    throw new DBusProtocolError(`message of type ${m.type} lacks its ${what} header field`);
  };
  switch (m.type) {
    case MessageType.MethodCall:
      if (m.path === undefined) missing('path');
      if (m.member === undefined) missing('member');
      break;
    case MessageType.Signal:
      if (m.path === undefined) missing('path');
      if (m.interface === undefined) missing('interface');
      if (m.member === undefined) missing('member');
      break;
    case MessageType.Error:
      if (m.errorName === undefined) missing('error name');
      if (m.replySerial === undefined) missing('reply serial');
      break;
    case MessageType.MethodReturn:
      if (m.replySerial === undefined) missing('reply serial');
      break;
    default:
      break; // unknown types are ignored by the connection, per the specification
  }
}
