import type { Message } from './message.js';

/** The subset of match-rule keys tsmachine uses (signals only). */
export interface MatchRule {
  sender?: string;
  interface?: string;
  member?: string;
  path?: string;
  arg0?: string;
}

/** The rule text for org.freedesktop.DBus.AddMatch/RemoveMatch. */
export function matchRuleString(rule: MatchRule): string {
  const parts = ["type='signal'"];
  for (const key of ['sender', 'interface', 'member', 'path', 'arg0'] as const) {
    const v = rule[key];
    // Inside quotes nothing is special except the quote itself, which is
    // written by closing the quotes, an escaped quote, and reopening.
    if (v !== undefined) parts.push(`${key}='${v.replace(/'/g, "'\\''")}'`);
  }
  return parts.join(',');
}

/**
 * Local filtering: the bus delivers every signal matching any of our rules
 * to the one socket, so each listener re-checks its own rule. A well-known
 * sender name cannot be compared with the unique name a signal carries, so
 * sender is only compared when it is a unique name (or the bus itself).
 */
export function ruleMatches(rule: MatchRule, m: Message): boolean {
  return headerMatches(rule, m) && (rule.arg0 === undefined || m.body[0] === rule.arg0);
}

/** The part of ruleMatches that needs only the header (arg0 needs the body). */
export function headerMatches(rule: MatchRule, m: Message): boolean {
  if (rule.interface !== undefined && rule.interface !== m.interface) return false;
  if (rule.member !== undefined && rule.member !== m.member) return false;
  if (rule.path !== undefined && rule.path !== m.path) return false;
  if (rule.sender !== undefined && (rule.sender.startsWith(':') || rule.sender === 'org.freedesktop.DBus') && rule.sender !== m.sender) return false;
  return true;
}
