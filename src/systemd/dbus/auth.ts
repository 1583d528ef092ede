import type { Socket } from 'node:net';
import { DBusConnectionError } from './errors.js';

/**
 * SASL EXTERNAL, the only mechanism the system bus accepts from local
 * clients: the kernel tells the daemon our uid (SO_PEERCRED) and we claim
 * the same uid, written as the hex of its decimal digits ("0" -> "30").
 */
export function externalAuthLine(uid: number): string {
  return `AUTH EXTERNAL ${Buffer.from(String(uid), 'ascii').toString('hex')}\r\n`;
}

/**
 * Run the handshake on a connected socket. AUTH and BEGIN go out in one
 * write, without waiting for OK, as sd-bus does: the caller may queue its
 * Hello right behind them, so connecting costs one round trip, not two.
 * Resolves with the server GUID and any bytes that followed the server's OK
 * (the start of the message stream).
 */
export function authenticate(socket: Socket, uid: number, address: string, timeoutMs: number): Promise<{ guid: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (err: Error | null, value?: { guid: string; rest: Buffer }): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(value!);
    };
    const onError = (cause: Error): void => done(new DBusConnectionError('socket error during authentication', address, { cause }));
    const onClose = (): void => done(new DBusConnectionError('bus closed the connection during authentication', address));
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const eol = buffered.indexOf('\r\n');
      if (eol < 0) {
        if (buffered.length > 4096) done(new DBusConnectionError('overlong authentication reply', address));
        return;
      }
      const line = buffered.subarray(0, eol).toString('latin1');
      const rest = buffered.subarray(eol + 2);
      if (line.startsWith('OK ')) {
        done(null, { guid: line.slice(3).trim(), rest });
      } else if (line.startsWith('REJECTED')) {
        done(new DBusConnectionError(`authentication rejected as uid ${uid} (server offers: ${line.slice(8).trim() || 'nothing'})`, address));
      } else {
        done(new DBusConnectionError(`unexpected authentication reply '${line.slice(0, 80)}'`, address));
      }
    };
    const timer = setTimeout(() => done(new DBusConnectionError(`no authentication reply within ${timeoutMs} ms`, address)), timeoutMs);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    // The protocol starts with one NUL byte (it carries credentials on some systems).
    socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`${externalAuthLine(uid)}BEGIN\r\n`, 'ascii')]));
  });
}
