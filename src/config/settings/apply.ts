import type { ContainerOptions, OptionOrigins } from '../options.js';
import { InvalidValue, SettingsError } from './error.js';
import { parseSyntax } from './syntax.js';
import { KNOWN_SECTIONS, lookupKey, type ListKey, type ScalarKey } from './table.js';

/** What one settings file says: only the fields it sets, each with the FILE:LINE that set it. */
export interface FileSettings {
  options: ContainerOptions;
  origins: OptionOrigins;
  /** The key that last set each field ("BindReadOnly"), so errors found later can name it. */
  keys: Partial<Record<keyof ContainerOptions, string>>;
  /** "FILE:LINE: ..." for unknown sections/keys and ignored lines; the caller prints them. */
  warnings: string[];
}

/**
 * Reads one settings file's text through the key table. Pure. Throws
 * SettingsError on malformed syntax or the first invalid value: a container
 * is better not started than started with half its settings.
 */
export function parseSettings(input: string | Uint8Array, file: string): FileSettings {
  const syntax = parseSyntax(input, file);
  const result: FileSettings = { options: {}, origins: {}, keys: {}, warnings: syntax.warnings };

  for (const s of syntax.sections) {
    // systemd stays quiet about X- sections: they are for other tools.
    if (!KNOWN_SECTIONS.has(s.name) && !s.name.startsWith('X-')) {
      result.warnings.push(`${s.file}:${s.line}: unknown section [${s.name}], ignoring`);
    }
  }

  for (const e of syntax.entries) {
    if (!KNOWN_SECTIONS.has(e.section)) continue; // warned once at the header
    const def = lookupKey(e.section, e.key);
    const where = `${e.file}:${e.line}`;
    if (!def) {
      if (!e.key.startsWith('X-')) result.warnings.push(`${where}: unknown key '${e.key}' in [${e.section}], ignoring`);
      continue;
    }
    try {
      if (def.kind === 'scalar') applyScalar(def, e.value, where, result);
      else applyList(def, e.value, where, result);
    } catch (err) {
      if (err instanceof InvalidValue) throw new SettingsError(e.file, e.line, `${e.key}= ${err.message}`);
      throw err;
    }
  }
  return result;
}

function applyScalar(def: ScalarKey, value: string, where: string, r: FileSettings): void {
  if (value === '') {
    delete r.options[def.field];
    delete r.origins[def.field];
    delete r.keys[def.field];
    return;
  }
  r.options[def.field] = def.parse(value);
  r.origins[def.field] = where;
  r.keys[def.field] = def.key;
}

function applyList(def: ListKey, value: string, where: string, r: FileSettings): void {
  const current = value === '' ? [] : [...(r.options[def.field] ?? [])];
  if (value !== '') {
    for (const item of def.parse(value)) {
      if (def.identity) {
        const id = def.identity(item);
        if (current.some((c) => def.identity?.(c) === id)) throw new InvalidValue(`'${value}' duplicates an earlier ${def.key}= (${id})`);
      }
      current.push(item);
    }
  }
  r.options[def.field] = current;
  r.origins[def.field] = where;
  r.keys[def.field] = def.key;
}
