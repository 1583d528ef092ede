import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './layers.js';
import type { StorePaths } from './paths.js';

/**
 * One import's temporary files (stdin spooled, an archive decompressed): one
 * dir under the store's tmp/, on the store's filesystem and named by our pid
 * like the unpack dirs, so cleanStaleTemp collects it if we are killed, and
 * removed whole when the import ends, however it ends. Made on first use:
 * most imports need none.
 */
export class Scratch {
  private dir: string | null = null;
  constructor(private readonly p: StorePaths) {}

  file(name: string): string {
    this.dir ??= makeTempDir(this.p);
    return join(this.dir, name);
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
