/**
 * tsmachine's own minimal D-Bus client.
 *
 * Why not a library (docs/decisions.md has the measurements):
 * - dbus-next's import costs about as much as a bare Node start, it pulls in
 *   18 packages and has been unmaintained since 2022. Every `tsmachine`
 *   command talks to the bus, so that cost would land on every invocation.
 * - dbus-native declares Node >= 22, while the Debian 12 package must run on
 *   the distribution's Node 18.
 * tsmachine needs a handful of method calls on systemd and machined and one
 * signal (JobRemoved). A small client, as youki has in its dbus_native, is
 * the right tool: next to nothing to import, no dependencies.
 *
 * Layout, one purpose per file:
 *   signature.ts  parse/validate type signatures
 *   values.ts     the JS shape of D-Bus values + checked accessors for replies
 *   marshal.ts    values -> bytes (little-endian, with alignment)
 *   unmarshal.ts  bytes -> values (either endianness, every length checked)
 *   message.ts    message header/body framing
 *   address.ts    bus address strings (unix:path=, unix:abstract=)
 *   auth.ts       SASL EXTERNAL handshake
 *   match.ts      match rules (AddMatch text + local filtering)
 *   connection.ts the socket: serials, replies, signals, exported methods
 *   errors.ts     the typed errors of this layer
 */
export * from './errors.js';
export * from './values.js';
export { parseSignature, type SigType } from './signature.js';
export { marshal } from './marshal.js';
export { unmarshal } from './unmarshal.js';
export { encodeMessage, decodeMessage, messageLength, MessageType, MessageFlags, type Message } from './message.js';
export { parseAddress, type BusAddress } from './address.js';
export { matchRuleString, type MatchRule } from './match.js';
export {
  BusConnection,
  type CallRequest,
  type ConnectOptions,
  type IncomingCall,
  type MethodHandler,
  type MethodReply,
  type SignalListener,
  type Subscription,
} from './connection.js';
