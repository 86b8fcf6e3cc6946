import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentsConfig } from '../../src/policy/config.js';
import { parseAgentsConfig } from '../../src/policy/config.js';
import { decide } from '../../src/policy/decide.js';
import { APPROVAL_NOTE, listedDescription, revocationFor, visibleTools } from '../../src/policy/visibility.js';
import { CONTRACT_AGENTS, NOW, TOOLS } from './fixtures.js';

const names = (agents: AgentsConfig, agentId: string, revoked?: Parameters<typeof visibleTools>[3]) =>
  visibleTools(agents, agentId, TOOLS, revoked, NOW).map((v) => v.tool.name);

describe('visibleTools', () => {
  it('a readOnly agent sees no write tool', () => {
    const seen = names(CONTRACT_AGENTS, 'reader');
    expect(seen).toContain('slack_read_history');
    expect(seen).toContain('mandate_whoami');
    expect(seen.filter((n) => TOOLS.find((t) => t.name === n)?.access === 'write')).toEqual([]);
  });

  it('hides denied tools and marks approval tools', () => {
    const seen = visibleTools(CONTRACT_AGENTS, 'assistant', TOOLS, undefined, NOW);
    expect(seen.map((v) => v.tool.name)).not.toContain('calendar_delete_event');
    expect(seen.find((v) => v.tool.name === 'slack_post_message')?.effect).toBe('approve');
    expect(seen.find((v) => v.tool.name === 'crm_create_contact')?.effect).toBe('allow');
    expect(seen).toHaveLength(TOOLS.length - 1);
  });

  it('hides a revoked tool, and everything but nothing else when the delegation is revoked', () => {
    expect(names(CONTRACT_AGENTS, 'assistant', { tools: ['slack_read_history'] })).toEqual(
      TOOLS.map((t) => t.name).filter((n) => n !== 'calendar_delete_event' && n !== 'slack_read_history'),
    );
    expect(names(CONTRACT_AGENTS, 'assistant', { delegation: true })).toEqual([]);
    expect(names(CONTRACT_AGENTS, 'assistant', { tools: new Set(['crm_get_deal']) })).not.toContain('crm_get_deal');
    expect(names(CONTRACT_AGENTS, 'assistant', new Set(['crm_get_deal', 'crm_list_deals']))).toEqual(
      TOOLS.map((t) => t.name).filter((n) => !['calendar_delete_event', 'crm_get_deal', 'crm_list_deals'].includes(n)),
    );
  });

  it('returns the caller’s own tool objects, in order', () => {
    const mine = TOOLS.map((t) => ({ ...t, extra: t.name.length }));
    const seen = visibleTools(CONTRACT_AGENTS, 'stranger', mine, undefined, NOW);
    expect(seen[0]!.tool).toBe(mine[0]);
    expect(seen.map((v) => v.tool.name)).toEqual(mine.filter((t) => t.name !== 'calendar_delete_event').map((t) => t.name));
  });

  it('approval tools say so in their description', () => {
    expect(listedDescription('Posts a message.', 'approve')).toBe(`Posts a message.\n\n${APPROVAL_NOTE}`);
    expect(listedDescription('Reads a channel.', 'allow')).toBe('Reads a channel.');
  });

  it('revocationFor: delegation beats tool', () => {
    expect(revocationFor(undefined, 'x')).toBeNull();
    expect(revocationFor({ tools: ['x'] }, 'x')).toBe('tool');
    expect(revocationFor({ tools: ['y'] }, 'x')).toBeNull();
    expect(revocationFor({ delegation: true, tools: ['x'] }, 'x')).toBe('delegation');
    expect(revocationFor(new Set(['x']), 'x')).toBe('tool');
    expect(revocationFor(['y'], 'x')).toBeNull();
    expect(revocationFor('slack_post_message', 'slack_post_message')).toBe('tool');
  });
});

describe('visibility and permission cannot disagree', () => {
  const capability = fc.constantFrom('allow', 'approve', 'deny');
  const key = fc.constantFrom('*', 'slack_*', 'crm_*', 'crm_get_*', 'calendar_*', 'slack_post_message', 'calendar_delete_event', 'crm_get_deal');
  const rule = fc.oneof(capability, capability.map((c) => ({ capability: c, rate: '5/minute' })));
  const agent = fc.record({ readOnly: fc.option(fc.boolean(), { nil: undefined }), tools: fc.dictionary(key, rule) }, { requiredKeys: [] });
  const revocations = fc.record({ delegation: fc.boolean(), tools: fc.subarray(TOOLS.map((t) => t.name)) }, { requiredKeys: [] });

  it('a tool is listed exactly when decide() does not deny it, with the same effect', () => {
    fc.assert(
      fc.property(agent, fc.option(revocations, { nil: undefined }), (a, revoked) => {
        const agents = parseAgentsConfig({ a: JSON.parse(JSON.stringify(a)) as unknown });
        const listed = new Map(visibleTools(agents, 'a', TOOLS, revoked, NOW).map((v) => [v.tool.name, v.effect]));
        for (const t of TOOLS) {
          const d = decide({ agents, agentId: 'a', tool: t, now: NOW, revoked: revocationFor(revoked, t.name) });
          expect(listed.get(t.name)).toBe(d.effect === 'deny' ? undefined : d.effect);
        }
      }),
      { numRuns: 300 },
    );
  });
});
