/** The settings-file module: NAME.tsmachine files in systemd.syntax(7). */
export { loadSettings, mergeOptions, type LoadedSettings, type MergedOptions } from './load.js';
export { resolveOptions, type ResolvedOptions } from './resolve.js';
export { parseSettings, type FileSettings } from './apply.js';
export { parseSyntax, type ParsedSyntax, type SettingsEntry, type SectionHeader } from './syntax.js';
export { SETTINGS_TABLE, KNOWN_SECTIONS, lookupKey, type KeyDef } from './table.js';
export { SettingsError } from './error.js';
export { splitWords, parseBoolean } from './words.js';
