import { asciiBytes, latin1Text } from './bytes.js';

/**
 * SASL EXTERNAL, the only mechanism the system bus accepts from local
 * clients: the kernel tells the daemon our uid (SO_PEERCRED) and we claim
 * the same uid, written as the hex of its decimal digits ("0" -> "30").
 */
export function externalAuthLine(uid: number): string {
  let hex = '';
  for (const digit of String(uid)) hex += digit.charCodeAt(0).toString(16);
  return `AUTH EXTERNAL ${hex}\r\n`;
}

/**
 * What the client writes first: the NUL byte the protocol starts with (it
 * carries credentials on some systems), AUTH, and BEGIN without waiting for
 * OK, as sd-bus does: messages may follow at once, so connecting costs one
 * round trip, not two.
 */
export function authRequest(uid: number): Uint8Array {
  return asciiBytes(`\0${externalAuthLine(uid)}BEGIN\r\n`)!;
}

export type AuthReply =
  | { kind: 'more' }
  | { kind: 'ok'; guid: string; rest: Uint8Array }
  | { kind: 'rejected'; reason: string };

/**
 * The server's answer to authRequest, from the bytes received so far: its
 * first line decides; whatever follows OK's line is the start of the
 * message stream (`rest`).
 */
export function parseAuthReply(buffered: Uint8Array): AuthReply {
  let eol = -1;
  for (let i = 0; i + 1 < buffered.length; i++) {
    if (buffered[i] === 0x0d && buffered[i + 1] === 0x0a) {
      eol = i;
      break;
    }
  }
  if (eol < 0) return buffered.length > 4096 ? { kind: 'rejected', reason: 'overlong authentication reply' } : { kind: 'more' };
  const line = latin1Text(buffered.subarray(0, eol));
  if (line.startsWith('OK ')) return { kind: 'ok', guid: line.slice(3).trim(), rest: buffered.subarray(eol + 2) };
  if (line.startsWith('REJECTED')) return { kind: 'rejected', reason: `authentication rejected (server offers: ${line.slice(8).trim() || 'nothing'})` };
  return { kind: 'rejected', reason: `unexpected authentication reply '${line.slice(0, 80)}'` };
}
