import { createRequire } from 'node:module';
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as Net from 'node:net';
import type * as Os from 'node:os';
import type * as Tty from 'node:tty';

/**
 * Node built-ins that only some commands need, loaded on first use instead
 * of by a static import, which in the CLI bundle would load them for every
 * command: each costs a noticeable part of a start (docs/performance.md),
 * and `run` and `start` need none of them with --network none.
 *
 * In the CLI bundle (CommonJS, run by bin/tsmachine.cjs) `require` is at
 * hand, and loading `node:module` for createRequire is a cost of its own:
 * the build defines TSM_BUNDLE, esbuild folds this to `require` and drops
 * the import. The ES modules tsc makes (tests) take createRequire.
 */
declare const TSM_BUNDLE: boolean | undefined;
const load: NodeJS.Require = typeof TSM_BUNDLE !== 'undefined' && TSM_BUNDLE ? require : createRequire(import.meta.url);

export const childProcess = (): typeof ChildProcess => load('node:child_process') as typeof ChildProcess;
export const crypto = (): typeof Crypto => load('node:crypto') as typeof Crypto;
export const net = (): typeof Net => load('node:net') as typeof Net;
export const os = (): typeof Os => load('node:os') as typeof Os;
export const tty = (): typeof Tty => load('node:tty') as typeof Tty;
