import { SettingsError } from './error.js';

/**
 * The lexer/parser of systemd.syntax(7), as systemd's conf-parser.c reads
 * unit and .nspawn files, knowing nothing about which keys exist (that is
 * table.ts). Pure: text in, entries and warnings out.
 *
 * Behaviour copied from systemd, because users will write these files the
 * way they write .nspawn files and expect the same reading:
 *  - Lines whose first non-blank character is '#' or ';' are comments, even
 *    in the middle of a continuation (they are skipped, the continuation
 *    goes on with the next line).
 *  - A line ending in an odd number of backslashes continues on the next
 *    line; the backslash becomes a space. A blank line ends a continuation.
 *  - Whitespace around keys and values is trimmed; the value is everything
 *    after the first '='. Values are not unquoted here: only the keys that
 *    take lists split words (see words.ts), as systemd's config_parse_strv.
 *  - "[Section" without ']' and control characters in a header are fatal;
 *    a line without '=' or outside any section is warned about and ignored.
 *  - CRLF, CR and LF all end a line; a UTF-8 byte order mark is skipped.
 * One difference: an entry's line is the line its key is on, not the last
 * line of its continuation, which is what a person looks for.
 */

/** One `Key=Value` assignment. */
export interface SettingsEntry {
  /** Assignments before any header are dropped with a warning, so there always is one. */
  section: string;
  key: string;
  value: string;
  file: string;
  line: number;
}

/** A `[Section]` header, so unknown sections can be reported once, at their header. */
export interface SectionHeader {
  name: string;
  file: string;
  line: number;
}

export interface ParsedSyntax {
  sections: SectionHeader[];
  entries: SettingsEntry[];
  /** "FILE:LINE: message" lines, for the caller to print. */
  warnings: string[];
}

/** systemd's LONG_LINE_MAX: a logical line (after joining) longer than this is refused. */
export const MAX_LINE = 1024 * 1024;
/** systemd's WHITESPACE set. */
const WHITESPACE = ' \t\n\r';

export function parseSyntax(input: string | Uint8Array, file: string): ParsedSyntax {
  const lines = splitLines(input, file);
  const out: ParsedSyntax = { sections: [], entries: [], warnings: [] };
  const state: LineState = { section: undefined };
  let continuation: string | undefined;
  let startLine = 0;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const lineNo = i + 1;
    const first = stripStart(raw).charAt(0);
    if (first === '#' || first === ';') continue;

    if (continuation === undefined) startLine = lineNo;
    const text = continuation === undefined ? raw : continuation + raw;
    if (text.length > MAX_LINE) throw new SettingsError(file, startLine, 'line too long');

    if (endsInEscape(text)) {
      continuation = text.slice(0, -1) + ' ';
      continue;
    }
    continuation = undefined;
    parseLine(text, file, startLine, state, out);
  }
  // A file may end inside a continuation; systemd parses what it has.
  if (continuation !== undefined) parseLine(continuation, file, startLine, state, out);
  return out;
}

interface LineState {
  /** Unknown sections are still tracked here; table.ts ignores their keys. */
  section: string | undefined;
}

function parseLine(text: string, file: string, line: number, state: LineState, out: ParsedSyntax): void {
  const l = strip(text);
  if (l === '') return;

  if (l.startsWith('[')) {
    if (!l.endsWith(']') || l.length < 2) throw new SettingsError(file, line, `invalid section header '${l}'`);
    const name = l.slice(1, -1);
    if (!isSafe(name)) throw new SettingsError(file, line, `bad characters in section header '${l}'`);
    state.section = name;
    out.sections.push({ name, file, line });
    return;
  }

  if (state.section === undefined) {
    out.warnings.push(`${file}:${line}: assignment outside of any section, ignoring`);
    return;
  }

  const eq = l.indexOf('=');
  if (eq < 0) {
    out.warnings.push(`${file}:${line}: missing '=', ignoring line`);
    return;
  }
  if (eq === 0) {
    out.warnings.push(`${file}:${line}: missing key name before '=', ignoring line`);
    return;
  }
  out.entries.push({ section: state.section, key: strip(l.slice(0, eq)), value: strip(l.slice(eq + 1)), file, line });
}

/** Bytes are decoded strictly: a settings file that is not UTF-8 is refused with the line it breaks on. */
function splitLines(input: string | Uint8Array, file: string): string[] {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    try {
      text = decoder.decode(input);
    } catch {
      throw new SettingsError(file, firstBadUtf8Line(input), 'invalid UTF-8');
    }
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const nul = lines.findIndex((l) => l.includes('\0'));
  if (nul >= 0) throw new SettingsError(file, nul + 1, 'NUL byte in settings file');
  return lines;
}

function firstBadUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/** True if the text ends in a backslash that is not itself escaped (an odd run). */
function endsInEscape(text: string): boolean {
  let n = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function stripStart(s: string): string {
  let i = 0;
  while (i < s.length && WHITESPACE.includes(s[i] as string)) i++;
  return s.slice(i);
}

export function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WHITESPACE.includes(s[a] as string)) a++;
  while (b > a && WHITESPACE.includes(s[b - 1] as string)) b--;
  return s.slice(a, b);
}

/** systemd's string_is_safe(): no control characters, quotes or backslashes. */
function isSafe(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x20 || c === 0x7f || ch === '\\' || ch === '"' || ch === "'") return false;
  }
  return true;
}
