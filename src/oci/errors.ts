import { TsmError } from '../errors.js';

/**
 * A config.json (or an `update --resources` file) that cannot be carried out:
 * a wrong type, a value out of range, a combination the runtime-spec forbids,
 * or a feature tsmachine-oci does not have. The message is one line that
 * names the file and the field, so the CLI prints it as is:
 *   config.json: process.rlimits[0].type 'RLIMIT_FOO' is not a resource limit
 */
export class OciConfigError extends TsmError {
  readonly module = 'oci';
  /** The field's path in the JSON: `process.capabilities.bounding[2]`; '' for the document itself. */
  readonly field: string;
  /** What is wrong, without the file and field: `'RLIMIT_FOO' is not a resource limit`. */
  readonly detail: string;
  constructor(field: string, detail: string, source = 'config.json') {
    super(field === '' ? `${source}: ${detail}` : `${source}: ${field} ${detail}`);
    this.field = field;
    this.detail = detail;
  }
}

/** Where a value sits, for messages: `at(at('process', 'rlimits'), 0)` → `process.rlimits[0]`. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  // Annotation and sysctl keys contain dots: quote those so the path stays readable.
  const k = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  if (base === '') return k;
  return /^[A-Za-z_]/.test(k) ? `${base}.${k}` : `${base}[${k}]`;
}
