// Makes text that came from agents, the config or the store safe to print on a terminal: what
// could move the cursor, erase or hide lines, or reorder what a human reads (C0 and C1 controls,
// DEL, bidirectional overrides, isolates and marks, line separators, lone surrogates) is shown
// as a visible escape (`\x1b`, `\u202e`), never obeyed. Everything else, in any script, is
// left as it is. Used by every human-readable CLI view, and by the pipeline for the name of
// a tool that does not exist.

// C0 controls, DEL, C1 controls, ALM, LRM/RLM, LS/PS, LRE..RLO, LRI..PDI, lone surrogates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// What JSON.stringify leaves raw inside strings (it escapes C0 and lone surrogates already).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

const hex4 = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

// C0 as \xNN (or \n \t \r); the rest as \uNNNN, which is also a valid escape inside JSON text.
function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return NAMED[ch] ?? `\\x${code.toString(16).padStart(2, '0')}`;
  return hex4(ch);
}

/** Options of `terminalSafe`. */
export interface TerminalSafeOptions {
  /** Keep `\n` and `\t` as they are (free text of several lines). Default false: one line. */
  multiline?: boolean;
}

/** The text with every control, DEL, C1 and bidi character replaced by a visible escape. */
export function terminalSafe(text: string, opts: TerminalSafeOptions = {}): string {
  return text.replace(UNSAFE, (ch) => (opts.multiline && (ch === '\n' || ch === '\t') ? ch : escapeChar(ch)));
}

/**
 * A name an agent sent (an unknown tool's, for one) as it may be recorded and shown: escaped,
 * and at most `max` UTF-16 units long, cut with `…` between characters and escapes, never
 * inside one. A short name of plain characters comes back unchanged.
 */
export function terminalSafeName(name: string, max = 128): string {
  const safe = terminalSafe(name);
  if (safe.length <= max) return safe;
  let out = '';
  for (const ch of name) {
    const piece = terminalSafe(ch);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/**
 * JSON text (from JSON.stringify) with DEL, C1 and bidi characters written as `\uNNNN`
 * escapes: still valid JSON that parses to the same value, and safe on a terminal.
 */
export function jsonLineSafe(json: string): string {
  return json.replace(UNSAFE_IN_JSON, hex4);
}
