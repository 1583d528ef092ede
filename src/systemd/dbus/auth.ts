/**
 * SASL EXTERNAL, the only mechanism the system bus accepts from local
 * clients: the kernel tells the daemon our uid (SO_PEERCRED) and we claim
 * the same uid, written as the hex of its decimal digits ("0" -> "30").
 */
export function externalAuthLine(uid: number): string {
  return `AUTH EXTERNAL ${Buffer.from(String(uid), 'ascii').toString('hex')}\r\n`;
}

/**
 * What the client writes first: the NUL byte the protocol starts with (it
 * carries credentials on some systems), AUTH, and BEGIN without waiting for
 * OK, as sd-bus does: messages may follow at once, so connecting costs one
 * round trip, not two.
 */
export function authRequest(uid: number): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from(`${externalAuthLine(uid)}BEGIN\r\n`, 'ascii')]);
}

export type AuthReply =
  | { kind: 'more' }
  | { kind: 'ok'; guid: string; rest: Buffer }
  | { kind: 'rejected'; reason: string };

/**
 * The server's answer to authRequest, from the bytes received so far: its
 * first line decides; whatever follows OK's line is the start of the
 * message stream (`rest`).
 */
export function parseAuthReply(buffered: Buffer): AuthReply {
  const eol = buffered.indexOf('\r\n');
  if (eol < 0) return buffered.length > 4096 ? { kind: 'rejected', reason: 'overlong authentication reply' } : { kind: 'more' };
  const line = buffered.subarray(0, eol).toString('latin1');
  if (line.startsWith('OK ')) return { kind: 'ok', guid: line.slice(3).trim(), rest: buffered.subarray(eol + 2) };
  if (line.startsWith('REJECTED')) return { kind: 'rejected', reason: `authentication rejected (server offers: ${line.slice(8).trim() || 'nothing'})` };
  return { kind: 'rejected', reason: `unexpected authentication reply '${line.slice(0, 80)}'` };
}
