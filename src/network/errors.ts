import { TsmError } from '../errors.js';

/**
 * Every failure of the network module, as one line the CLI can print: bad
 * --network/--ip/--publish/--dns input, a missing parent interface, an address
 * or port already taken, a kernel or nft failure while setting up (after
 * which everything this setup created has been removed again).
 */
export class NetworkError extends TsmError {
  readonly module = 'network';
}
