// The terminal-safe text of `src/terminal.ts`: what an agent, a config or the store hands the
// CLI is shown, never obeyed. Control sequences, C1 controls and bidirectional overrides come
// out as visible escapes; ordinary text of any script comes out as it went in.
import { describe, expect, test } from 'vitest';
import { jsonLineSafe, terminalSafe, terminalSafeName } from '../src/terminal.js';

const ESC = '\u001b';
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

describe('terminalSafe', () => {
  test('ordinary text, accents, CJK and emoji stay untouched', () => {
    for (const s of ['hello, world', 'Café crème — naïve façade', '東京の会議 / 회의 / 会议', 'ship it 🚀👩🏽‍💻🇫🇷', 'a\\x1b literal backslash', '']) {
      expect(terminalSafe(s)).toBe(s);
    }
  });

  test('C0 controls, DEL and C1 controls become visible escapes', () => {
    expect(terminalSafe(`a${ESC}[8mhidden`)).toBe('a\\x1b[8mhidden');
    expect(terminalSafe(`x${ESC}[1A${ESC}[2Ky`)).toBe('x\\x1b[1A\\x1b[2Ky');
    expect(terminalSafe('\u0000\u0007\u0008\u007f')).toBe('\\x00\\x07\\x08\\u007f');
    expect(terminalSafe('\u009b2J and \u0085 and \u0090')).toBe('\\u009b2J and \\u0085 and \\u0090');
  });

  test('bidirectional overrides, isolates and marks become visible escapes', () => {
    expect(terminalSafe('invoice\u202Efdp.exe')).toBe('invoice\\u202efdp.exe');
    const all = '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029';
    expect(terminalSafe(all)).toBe('\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c\\u2028\\u2029');
  });

  test('newline, tab and carriage return: escaped on one line, newline and tab kept in free text', () => {
    expect(terminalSafe('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
    expect(terminalSafe('a\nb\tc\rd', { multiline: true })).toBe('a\nb\tc\\rd');
  });

  test('a lone surrogate is shown, not replaced silently', () => {
    expect(terminalSafe('a\ud800b')).toBe('a\\ud800b');
  });

  test('nothing unsafe survives, whatever the input', () => {
    let all = '';
    for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
    expect(terminalSafe(all)).not.toMatch(UNSAFE);
    expect(terminalSafe(all, { multiline: true }).replace(/[\n\t]/g, '')).not.toMatch(UNSAFE);
  });
});

describe('terminalSafeName', () => {
  test('a known tool name is untouched', () => {
    expect(terminalSafeName('slack_post_message')).toBe('slack_post_message');
  });

  test('escaped, then cut to the limit with an ellipsis, never inside an escape', () => {
    const name = `${ESC}[2J`.repeat(1000);
    const safe = terminalSafeName(name);
    expect(safe.length).toBeLessThanOrEqual(128);
    expect(safe.endsWith('…')).toBe(true);
    expect(safe).not.toMatch(UNSAFE);
    expect(safe.slice(0, -1)).toMatch(/^(\\x1b\[2J)+$/);
    expect(terminalSafeName('é'.repeat(200), 10)).toBe(`${'é'.repeat(9)}…`);
    expect(terminalSafeName('🚀'.repeat(200), 10)).toBe(`${'🚀'.repeat(4)}…`);
  });
});

describe('jsonLineSafe', () => {
  test('escapes what JSON.stringify lets through, and parses back to the same value', () => {
    const value = { tool: `x${ESC}[1A\u202e\u0085\u007f\u2028y`, args: { text: '東京 🚀 café' } };
    const line = jsonLineSafe(JSON.stringify(value));
    expect(line).not.toMatch(UNSAFE);
    expect(line).toContain('\\u202e');
    expect(line).toContain('東京 🚀 café');
    expect(JSON.parse(line)).toEqual(value);
    const pretty = jsonLineSafe(JSON.stringify(value, null, 2));
    expect(JSON.parse(pretty)).toEqual(value);
  });
});
