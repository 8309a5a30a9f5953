/**
 * Match rules as the buses read them, to judge `org.freedesktop.DBus.AddMatch`: a rule with an
 * `eavesdrop` key receives messages addressed to others (dbus-daemon delivers other peers'
 * unicast to it where the bus policy allows eavesdropping), as BecomeMonitor does.
 *
 * dbus-daemon (bus/signals.c) and dbus-broker (src/bus/match.c) tokenize a rule differently
 * where backslashes are concerned: outside quotes dbus-daemon lets `\` take the next character
 * literally (a `\,` is no separator), dbus-broker lets it stand for itself (a `\,` separates).
 * The policy reads the rule both ways and once more leniently (any quote or backslash nesting,
 * any case, keys found wherever a comma starts one), and refuses when any reading finds the key.
 */

export interface RuleToken {
  key: string;
  value: string;
}

const WHITE = new Set([' ', '\t', '\n', '\r']);

/** dbus-daemon's tokenizer: keys end at `=` or whitespace; values as `find_value` reads them. */
export function daemonTokens(rule: string): RuleToken[] {
  const tokens: RuleToken[] = [];
  let p = 0;
  while (p < rule.length) {
    while (p < rule.length && WHITE.has(rule[p] as string)) p++;
    const start = p;
    while (p < rule.length && rule[p] !== '=' && !WHITE.has(rule[p] as string)) p++;
    const key = rule.slice(start, p);
    while (p < rule.length && WHITE.has(rule[p] as string)) p++;
    if (key === '') break;
    if (rule[p] !== '=') break; // "a key with no subsequent '='": the daemon refuses the rule
    p++;
    let value = '';
    let quote: '' | "'" | '\\' = '';
    for (; p < rule.length; p++) {
      const c = rule[p] as string;
      if (quote === '') {
        if (c === "'") quote = "'";
        else if (c === ',') {
          p++;
          break;
        } else if (c === '\\') quote = '\\';
        else value += c;
      } else if (quote === '\\') {
        value += c === "'" ? c : `\\${c}`;
        quote = '';
      } else if (c === "'") quote = '';
      else value += c;
    }
    tokens.push({ key, value });
  }
  return tokens;
}

/** dbus-broker's tokenizer: leading whitespace and stray `=` skipped; `\` stands for itself unless `\'`. */
export function brokerTokens(rule: string): RuleToken[] {
  const tokens: RuleToken[] = [];
  let p = 0;
  const skip = (chars: string) => {
    while (p < rule.length && chars.includes(rule[p] as string)) p++;
  };
  for (;;) {
    skip(' \t\n\r=');
    if (p >= rule.length) break;
    const start = p;
    while (p < rule.length && !' \t\n\r='.includes(rule[p] as string)) p++;
    const key = rule.slice(start, p);
    skip(' \t\n\r');
    if (rule[p] !== '=') break;
    p++;
    let value = '';
    let quoted = false;
    for (; p < rule.length;) {
      while (rule[p] === "'") {
        quoted = !quoted;
        p++;
      }
      if (p >= rule.length) break;
      const c = rule[p] as string;
      p++;
      if (c === ',' && !quoted) break;
      if (c === '\\' && !quoted && rule[p] === "'") {
        value += "'";
        p++;
      } else value += c;
    }
    tokens.push({ key, value });
  }
  return tokens;
}

/**
 * Every run of characters that could be read as a key by a lenient parser: the text before each
 * `=` back to the previous comma, stripped of quotes, backslashes and whitespace. It finds more
 * keys than any bus does (a value mentioning `,eavesdrop=` counts), which only ever refuses more.
 */
function lenientKeys(rule: string): string[] {
  return rule
    .split(',')
    .map((part) => part.split('=')[0] ?? '')
    .map((k) => k.replace(/['"\\\s]/g, '').toLowerCase());
}

const isEavesdrop = (key: string) => key.trim().toLowerCase() === 'eavesdrop';

/** True when any reading of the rule has an `eavesdrop` key, whatever its value. */
export function ruleEavesdrops(rule: string): boolean {
  return (
    daemonTokens(rule).some((t) => isEavesdrop(t.key)) ||
    brokerTokens(rule).some((t) => isEavesdrop(t.key)) ||
    lenientKeys(rule).some(isEavesdrop)
  );
}

/**
 * Why an `org.freedesktop.DBus.AddMatch` call is bus administration, or undefined: a rule with an
 * `eavesdrop` key (any value, quoting, escaping, case or spacing) in what is sent (`sent`, the
 * prepared message's first argument) or in what was asked (`asked`, its JSON form). A rule
 * that is not a string cannot be judged, so it is refused too.
 */
export function eavesdropReason(asked: unknown, sent?: unknown): string | undefined {
  for (const rule of sent === undefined ? [asked] : [asked, sent]) {
    if (typeof rule !== 'string') {
      return 'bus administration (a match rule is judged on its text: pass it as a string)';
    }
    if (ruleEavesdrops(rule)) {
      return 'bus administration (an eavesdrop match rule receives messages addressed to others)';
    }
  }
  return undefined;
}
