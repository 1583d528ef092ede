import { InvalidValue } from './error.js';

const WHITESPACE = ' \t\n\r';

/**
 * Splits a list value into words the way systemd's config_parse_strv does
 * (extract_first_word with EXTRACT_UNQUOTE|EXTRACT_RETAIN_ESCAPE):
 * whitespace separates words; '...' and "..." quote, also in the middle of a
 * word (a"b c"d is one word, ab cd); backslashes are ordinary characters, so
 * they neither escape a quote nor a space. `""` is an empty word. An
 * unterminated quote is an error (systemd would drop the rest of the line
 * with a warning; refusing is clearer for a container's argv).
 */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  const n = value.length;
  for (;;) {
    while (i < n && WHITESPACE.includes(value[i] as string)) i++;
    if (i >= n) return words;
    let word = '';
    let quote: string | undefined;
    for (; i < n; i++) {
      const c = value[i] as string;
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else word += c;
      } else if (WHITESPACE.includes(c)) {
        break;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else {
        word += c;
      }
    }
    if (quote !== undefined) throw new InvalidValue(`unterminated quote in '${value}'`);
    words.push(word);
  }
}

/**
 * systemd's parse_boolean(): 1/yes/y/true/t/on and 0/no/n/false/f/off, the
 * words case-insensitively. undefined for anything else.
 */
export function parseBoolean(value: string): boolean | undefined {
  if (value === '1') return true;
  if (value === '0') return false;
  const v = value.toLowerCase();
  if (['yes', 'y', 'true', 't', 'on'].includes(v)) return true;
  if (['no', 'n', 'false', 'f', 'off'].includes(v)) return false;
  return undefined;
}
