import { flag, str } from '../../args.js';
import { createContainer } from '../../../runtime/oci/create.js';
import { containerId, preserveFds, type OciCommand } from '../command.js';

export const create: OciCommand = {
  usage: 'tsmachine-oci create [--bundle DIR] [--pid-file F] [--console-socket SOCK] [--preserve-fds N] ID',
  summary: 'create a container from an OCI bundle, its init parked until `start`',
  options: [
    { long: 'bundle', short: 'b', kind: 'value', arg: 'DIR', help: 'the bundle: config.json and the rootfs (default: the current directory)' },
    { long: 'pid-file', kind: 'value', arg: 'F', help: "write the init's host PID here" },
    { long: 'console-socket', kind: 'value', arg: 'SOCK', help: "AF_UNIX socket that receives the pty master (process.terminal)" },
    { long: 'preserve-fds', kind: 'value', arg: 'N', help: 'pass fds 3..3+N-1 on to the container' },
    { long: 'no-pivot', kind: 'flag', help: 'MS_MOVE and chroot instead of pivot_root (a rootfs on ramfs)' },
    { long: 'no-new-keyring', kind: 'flag', help: 'accepted: the session keyring is never touched here' },
  ],
  async run(p, ctx) {
    const id = containerId(p, ctx);
    const consoleSocket = str(p, 'console-socket'), pidFile = str(p, 'pid-file');
    await createContainer(ctx.store, {
      id,
      bundle: str(p, 'bundle') ?? process.cwd(),
      ...(pidFile !== undefined ? { pidFile } : {}),
      ...(consoleSocket !== undefined ? { consoleSocket } : {}),
      preserveFds: preserveFds(str(p, 'preserve-fds')),
      noPivot: flag(p, 'no-pivot'),
      systemdCgroup: ctx.systemdCgroup,
    }, ctx.warn);
    return 0;
  },
};
