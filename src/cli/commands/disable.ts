import { systemctlVerb } from '../systemctl-verb.js';

export const disable = systemctlVerb('disable');
