// Every requirement Mandate claims has at least one test that cites its ID, and every ID a
// test cites is one we claim (a typo in a test name would otherwise hide a gap).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUIREMENTS } from './requirements.js';

const root = path.dirname(new URL(import.meta.url).pathname);
function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') && e.name !== 'requirements.test.ts' ? [p] : [];
  });
}
const sources = testFiles(root).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
const PREFIX = /\b(?:MCP|TE|RI|JWT|REV|INTRO|PRM)-[A-Z0-9]+(?:-[A-Z0-9]+)*\b/g;

describe('requirements coverage', () => {
  it.each(Object.keys(REQUIREMENTS))('%s has a test', (id) => {
    expect(sources.includes(id)).toBe(true);
  });

  it('every cited ID is a requirement we claim', () => {
    const cited = new Set(sources.match(PREFIX) ?? []);
    const unknown = [...cited].filter((id) => !(id in REQUIREMENTS) && !/^(MCP-[A-Z]+|TE|RI)$/.test(id));
    expect(unknown).toEqual([]);
  });
});
