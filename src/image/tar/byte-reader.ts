/**
 * Pull-style reading over an async stream of Buffers, so the tar parser can
 * ask for "exactly 512 bytes" or "the next n bytes, chunk by chunk" without
 * copying bodies. Short reads are the caller's to judge (truncation).
 */
/** What the tar reader needs from its input; a file source can also seek past bodies. */
export interface ByteSource {
  position: number;
  read(n: number): Promise<Buffer>;
  chunk(max: number): Promise<Buffer>;
  drain(): Promise<void>;
  /** Skips n bytes; returns how many were skipped (fewer at end of input). */
  skip?(n: number): number;
}

export class ByteReader implements ByteSource {
  private pending: Buffer = Buffer.alloc(0);
  private done = false;
  /** Total bytes handed out so far (for error offsets). */
  position = 0;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  static from(src: AsyncIterable<Buffer>): ByteReader {
    return new ByteReader(src[Symbol.asyncIterator]());
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    return true;
  }

  /** Up to n bytes; fewer only at end of stream. */
  async read(n: number): Promise<Buffer> {
    while (this.pending.length < n) {
      if (!(await this.fill())) break;
    }
    const take = Math.min(n, this.pending.length);
    const out = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    this.position += take;
    return out;
  }

  /** Next chunk of at most `max` bytes without waiting for more than one source chunk; empty at end. */
  async chunk(max: number): Promise<Buffer> {
    if (this.pending.length === 0 && !(await this.fill())) return Buffer.alloc(0);
    const take = Math.min(max, this.pending.length);
    const out = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    this.position += take;
    return out;
  }

  /** Consumes everything left (so a digest over the stream covers it all). */
  async drain(): Promise<void> {
    this.position += this.pending.length;
    this.pending = Buffer.alloc(0);
    while (await this.fill()) {
      this.position += this.pending.length;
      this.pending = Buffer.alloc(0);
    }
  }
}
