import { koffi } from '../kernel/koffi.js';

/**
 * nftables in process through libnftables (the library the nft binary is a
 * thin wrapper of; Debian's nftables package depends on libnftables1). One
 * exec of nft costs tens of milliseconds, more than the rest of a container's
 * network setup together, and teardown needs two. The library talks netlink
 * to nf_tables in the caller's own netns: no namespace change in Node.
 * null when the library cannot be loaded: nft-run.ts then execs nft.
 */
const NFT_CTX_DEFAULT = 0;
const NFT_CTX_OUTPUT_JSON = 1 << 4;

interface Lib {
  ctxNew: (flags: number) => unknown;
  ctxFree: (ctx: unknown) => void;
  setOutputFlags: (ctx: unknown, flags: number) => void;
  bufferOutput: (ctx: unknown) => number;
  bufferError: (ctx: unknown) => number;
  getOutput: (ctx: unknown) => string | null;
  getError: (ctx: unknown) => string | null;
  run: (ctx: unknown, cmd: string) => number;
}

let lib: Lib | null | undefined;
function load(): Lib | null {
  if (lib !== undefined) return lib;
  try {
    const l = koffi().load('libnftables.so.1');
    koffi().opaque('nft_ctx');
    lib = {
      ctxNew: l.func('nft_ctx *nft_ctx_new(uint32_t flags)') as Lib['ctxNew'],
      ctxFree: l.func('void nft_ctx_free(nft_ctx *ctx)') as Lib['ctxFree'],
      setOutputFlags: l.func('void nft_ctx_output_set_flags(nft_ctx *ctx, unsigned int flags)') as Lib['setOutputFlags'],
      bufferOutput: l.func('int nft_ctx_buffer_output(nft_ctx *ctx)') as Lib['bufferOutput'],
      bufferError: l.func('int nft_ctx_buffer_error(nft_ctx *ctx)') as Lib['bufferError'],
      getOutput: l.func('const char *nft_ctx_get_output_buffer(nft_ctx *ctx)') as Lib['getOutput'],
      getError: l.func('const char *nft_ctx_get_error_buffer(nft_ctx *ctx)') as Lib['getError'],
      run: l.func('int nft_run_cmd_from_buffer(nft_ctx *ctx, const char *buf)') as Lib['run'],
    };
  } catch {
    lib = null;
  }
  return lib;
}

export interface NftOutcome {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs nft commands (a whole batch is one transaction); null when libnftables is not there. */
export function libnftRun(commands: string, json: boolean): NftOutcome | null {
  const l = load();
  if (!l) return null;
  // A fresh context per call: its output buffers then hold this call's text only.
  const ctx = l.ctxNew(NFT_CTX_DEFAULT);
  if (!ctx) return null;
  try {
    if (json) l.setOutputFlags(ctx, NFT_CTX_OUTPUT_JSON);
    l.bufferOutput(ctx);
    l.bufferError(ctx);
    const rc = l.run(ctx, commands);
    return { ok: rc === 0, stdout: l.getOutput(ctx) ?? '', stderr: l.getError(ctx) ?? '' };
  } finally {
    l.ctxFree(ctx);
  }
}
