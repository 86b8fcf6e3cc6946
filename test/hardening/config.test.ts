// Hostile config files: wrong types, unknown keys, huge values, a 2 MiB file, deeply nested
// JSON, text that is not JSON. Each stops `mandate serve` at start with a non-zero exit and
// one short error on stderr naming the key (or the file's problem): no stack trace, nothing
// on stdout (the MCP channel), and no state written as if the server had started.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mandateAsync, tempHome } from '../helpers/cli.js';

interface Case {
  name: string;
  /** The config file's text (a value is JSON-encoded). */
  text: string | unknown;
  /** What stderr must say. */
  says: RegExp;
}

const deep = (open: string, close: string, inner = '') => open.repeat(10_000) + inner + close.repeat(10_000);

const CASES: Case[] = [
  // wrong types
  { name: 'a string for a number', text: { approvals: { waitSeconds: 'soon' } }, says: /^approvals\.waitSeconds: .*expected number/m },
  { name: 'a string for a boolean', text: { agents: { a: { readOnly: 'yes' } } }, says: /^agents\.a\.readOnly: must be true or false/m },
  { name: 'a capability that does not exist', text: { agents: { a: { tools: { slack_post_message: { capability: 'sometimes' } } } } }, says: /^agents\.a\.tools\.slack_post_message\.capability: must be "allow", "approve" or "deny"/m },
  { name: 'a number for the agents map', text: { agents: 5 }, says: /^agents: must be an object mapping agent IDs/m },
  { name: 'a number for a URL', text: { providers: { slack: { baseUrl: 42 } } }, says: /^providers\.slack\.baseUrl: /m },
  { name: 'null for the whole file', text: null, says: /^\(root\): .*expected object/m },
  // unknown keys, at every level
  { name: 'an unknown top-level key', text: { approval: { waitSeconds: 1 } }, says: /^approval: unknown key/m },
  { name: 'an unknown nested key', text: { approvals: { waitSecs: 5 } }, says: /^approvals\.waitSecs: unknown key/m },
  { name: 'an unknown agent key', text: { agents: { a: { readonly: true } } }, says: /^agents\.a\.readonly: unknown key/m },
  { name: 'an unknown tool-rule key', text: { agents: { a: { tools: { slack_post_message: { capability: 'allow', capabilty: 'deny' } } } } }, says: /^agents\.a\.tools\.slack_post_message\.capabilty: unknown key/m },
  { name: 'a tool key that names no tool', text: { agents: { a: { tools: { slack_post_mesage: 'allow' } } } }, says: /agents\.a\.tools\.slack_post_mesage: matches no tool/ },
  { name: 'a __proto__ key', text: '{"__proto__": {"approvals": {"waitSeconds": 1}}}', says: /^__proto__: "__proto__" is not allowed as a key/m },
  { name: 'a __proto__ agent', text: '{"agents": {"__proto__": {"readOnly": false}}}', says: /^agents\.__proto__: "__proto__" is not allowed as a key/m },
  // huge values
  { name: 'a huge number', text: '{"approvals": {"waitSeconds": 1e308}}', says: /^approvals\.waitSeconds: Too big/m },
  { name: 'a number beyond double range', text: '{"approvals": {"waitSeconds": 1e400}}', says: /^approvals\.waitSeconds: .*Infinity/m },
  { name: 'a port out of range', text: { server: { port: 123456789 } }, says: /^server\.port: Too big/m },
  { name: 'a 600 KB string', text: { server: { allowedOrigins: ['o'.repeat(600_000)] } }, says: /^server\.allowedOrigins\[0\]: Too big/m },
  { name: 'a 200 KB agent ID', text: { agents: { ['a'.repeat(200_000)]: {} } }, says: /^agents\.aaaa.* … .*invalid key: agent IDs are/m },
  { name: 'a 2 MiB file', text: `{"agents": {}${' '.repeat(2 * 1024 * 1024)}}`, says: /config\.json is larger than 1 MiB/ },
  // deeply nested JSON
  { name: '10,000 nested arrays as the file', text: deep('[', ']'), says: /^\(root\): .*expected object, received array/m },
  { name: '10,000 nested objects under an unknown key', text: `{"x": ${deep('{"x": ', '}', '1')}}`, says: /^x: unknown key/m },
  { name: '10,000 nested objects as a tool rule', text: `{"agents": {"a": {"tools": {"slack_post_message": ${deep('{"x": ', '}', '1')}}}}}`, says: /^agents\.a\.tools\.slack_post_message\.x: unknown key/m },
  { name: '10,000 nested arrays as an origin', text: `{"server": {"allowedOrigins": ${deep('[', ']')}}}`, says: /^server\.allowedOrigins\[0\]: .*expected string/m },
  // not JSON
  { name: 'plain text', text: 'agents: { a: allow }', says: /config\.json is not valid JSON/ },
  { name: 'an empty file', text: '', says: /config\.json is not valid JSON/ },
  { name: 'unbalanced brackets 10,000 deep', text: '['.repeat(10_000), says: /config\.json is not valid JSON/ },
  { name: 'a trailing comma', text: '{"agents": {},}', says: /config\.json is not valid JSON/ },
  { name: 'binary bytes', text: '\u00ff\u00fe\u0000\u0001\u0002', says: /config\.json is not valid JSON/ },
];

/** Runs `mandate serve` (stdio) against a home holding `text` as its config. */
async function serveWith(text: string | unknown) {
  const { home, env } = tempHome();
  fs.writeFileSync(path.join(home, 'config.json'), typeof text === 'string' ? text : JSON.stringify(text));
  const r = await mandateAsync(['serve'], env);
  return { ...r, home };
}

describe('hostile config files stop `mandate serve` at start with a clear error naming the key', () => {
  it.each(CASES)('$name', async ({ text, says }) => {
    const r = await serveWith(text);
    expect(r.code, r.stderr.slice(0, 500)).toBe(1);
    expect(r.stderr).toMatch(says);
    expect(r.stderr).toMatch(/^mandate: /);
    expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\.js:\d+:\d+/);
    expect(r.stderr.length, 'a short error, whatever the size of the input').toBeLessThan(1_000);
    expect(r.stdout).toBe('');
    // Refused before anything started: no store, no keys, no secrets were created.
    expect(fs.readdirSync(r.home).sort()).toEqual(['config.json']);
  });

  it('MANDATE_CONFIG naming a directory or a missing file is refused by path', async () => {
    for (const target of ['dir', 'missing.json']) {
      const { home, env } = tempHome();
      fs.mkdirSync(path.join(home, 'dir'));
      const r = await mandateAsync(['serve'], { ...env, MANDATE_CONFIG: path.join(home, target) });
      expect(r.code, target).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`cannot read config file .*${target.replace('.', '\\.')}`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('`mandate config check` names the same key (the check a user runs before serving)', async () => {
    const { home, env } = tempHome({ agents: { assistant: { tools: { slack_post_message: { capability: 'approve', rate: 'often' } } } } });
    const r = await mandateAsync(['config', 'check'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/agents\.assistant\.tools\.slack_post_message\.rate: must be a positive number of calls/);
    expect(fs.readdirSync(home)).toEqual(['config.json']);
  });
});
