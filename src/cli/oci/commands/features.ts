import { featuresJson } from '../../../oci/index.js';
import { libseccompVersion, supportedSeccompArches } from '../../../kernel/seccomp-compile.js';
import { readTextIfPresent } from '../../../quiet-fs.js';
import { existsSync } from 'node:fs';
import type { OciCommand } from '../command.js';

export const features: OciCommand = {
  usage: 'tsmachine-oci features',
  summary: 'what this runtime supports, as runtime-spec features.md JSON',
  options: [],
  maxPositionals: 0,
  run(_p, ctx) {
    const libseccomp = libseccompVersion();
    ctx.out(`${JSON.stringify(featuresJson({
      seccompEnabled: libseccomp !== null,
      ...(libseccomp !== null ? { libseccompVersion: libseccomp, seccompArchs: supportedSeccompArches() } : {}),
      apparmorEnabled: readTextIfPresent('/sys/module/apparmor/parameters/enabled')?.trim() === 'Y',
      selinuxEnabled: existsSync('/sys/fs/selinux/enforce'),
      version: '0.1.0',
    }), null, 2)}\n`);
    return 0;
  },
};
