import { systemctlVerb } from '../systemctl-verb.js';

export const enable = systemctlVerb('enable');
