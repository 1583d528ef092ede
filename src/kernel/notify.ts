import { KernelError } from './errors.js';
import { nativeAddon } from './addon.js';

/**
 * sd_notify(3): tells the service manager about our state ("READY=1",
 * "STATUS=...", "MAINPID=..."). false when not run as a Type=notify service.
 */
export function sdNotify(state: string, socketPath: string | undefined = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  const r = nativeAddon().notify(socketPath, state);
  if (r < 0) throw new KernelError({ stage: 'kernel', syscall: 'sendto', what: 'sd_notify', errno: -r, path: socketPath });
  return true;
}
