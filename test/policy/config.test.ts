import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentsConfigError, agentsConfigSchema, formatConfigIssues, parseAgentsConfig, unmatchedToolKeys } from '../../src/policy/config.js';
import { TOOLS } from './fixtures.js';

/** The problems parseAgentsConfig reports for `input` (fails the test if it parses). */
function problems(input: unknown): readonly string[] {
  try {
    parseAgentsConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(AgentsConfigError);
    return (err as AgentsConfigError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('agents config', () => {
  it('accepts the contract example and keeps it as written', () => {
    const input = {
      reader: { readOnly: true },
      assistant: {
        tools: {
          slack_post_message: { capability: 'approve', channels: ['#support-updates', 'C024BE91L'], rate: '10/hour' },
          calendar_create_event: { capability: 'approve', attendeeDomains: ['example.com'], hours: '08:00-19:00 Europe/Berlin' },
          crm_update_deal_stage: { capability: 'allow', dealStages: ['qualifiedtobuy'] },
          calendar_delete_event: 'deny',
          'crm_*': 'allow',
          '*': 'approve',
        },
      },
    };
    expect(parseAgentsConfig(input)).toEqual(input);
  });

  it('names the full path of a misspelt key', () => {
    const p = problems({ assistant: { tools: { slack_post_message: { capability: 'allow', capabilty: 'deny' } } } });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^agents\.assistant\.tools\.slack_post_message\.capabilty: unknown key/);
  });

  it('names the path of a misspelt key even when the capability is missing too', () => {
    const p = problems({ assistant: { tools: { slack_post_message: { capabilty: 'allow' } } } });
    expect(p).toContain('agents.assistant.tools.slack_post_message.capability: must be "allow", "approve" or "deny"');
    expect(p.some((l) => l.startsWith('agents.assistant.tools.slack_post_message.capabilty: unknown key'))).toBe(true);
  });

  it('names unknown keys on an agent', () => {
    expect(problems({ reader: { readonly: true } })[0]).toMatch(/^agents\.reader\.readonly: unknown key; an agent takes readOnly, tools/);
  });

  it('refuses a capability that is not allow, approve or deny', () => {
    expect(problems({ a: { tools: { slack_post_message: 'alow' } } })).toEqual([
      'agents.a.tools.slack_post_message: must be "allow", "approve", "deny" or an object with a "capability"',
    ]);
    expect(problems({ a: { tools: { x: { capability: 'sometimes' } } } })).toEqual([
      'agents.a.tools.x.capability: must be "allow", "approve" or "deny"',
    ]);
  });

  it('validates rates', () => {
    for (const good of ['1/second', '10/hour', '100/minute', '5/day']) {
      expect(() => parseAgentsConfig({ a: { tools: { x: { capability: 'allow', rate: good } } } })).not.toThrow();
    }
    for (const bad of ['10/hr', '0/hour', '-1/hour', '10 / hour', '1.5/hour', 'hour', '10/hours']) {
      const p = problems({ a: { tools: { x: { capability: 'allow', rate: bad } } } });
      expect(p, bad).toEqual(['agents.a.tools.x.rate: must be a positive number of calls per second, minute, hour or day, e.g. "10/hour"']);
    }
  });

  it('validates working hours and their time zone', () => {
    const hours = (h: string) => ({ a: { tools: { calendar_create_event: { capability: 'approve', hours: h } } } });
    expect(() => parseAgentsConfig(hours('08:00-19:00 Europe/Berlin'))).not.toThrow();
    expect(() => parseAgentsConfig(hours('00:00-24:00 America/New_York'))).not.toThrow();
    expect(problems(hours('08:00-19:00 Europe/Berln'))).toEqual(['agents.a.tools.calendar_create_event.hours: unknown time zone "Europe/Berln"']);
    expect(problems(hours('19:00-08:00 Europe/Berlin'))).toEqual([
      'agents.a.tools.calendar_create_event.hours: the window must end after it starts, on the same day',
    ]);
    for (const bad of ['8-19 Europe/Berlin', '08:00-19:00', '25:00-26:00 UTC', '08:00 - 19:00 UTC']) {
      expect(problems(hours(bad))[0], bad).toMatch(/^agents\.a\.tools\.calendar_create_event\.hours: must look like "08:00-19:00 Europe\/Berlin"/);
    }
  });

  it('validates tool keys, domains and list entries', () => {
    expect(problems({ a: { tools: { 'sl*ck': 'allow' } } })[0]).toMatch(/^agents\.a\.tools\.sl\*ck: invalid key: tool keys are tool names/);
    expect(problems({ a: { tools: { mandate_whoami: 'deny' } } })[0]).toMatch(/^agents\.a\.tools\.mandate_whoami: invalid key: mandate_\* tools are always allowed/);
    expect(problems({ a: { tools: { x: { capability: 'allow', attendeeDomains: ['bob@example.com'] } } } })).toEqual([
      'agents.a.tools.x.attendeeDomains[0]: must be a domain such as "example.com"',
    ]);
    expect(problems({ a: { tools: { x: { capability: 'allow', channels: [''] } } } })).toEqual(['agents.a.tools.x.channels[0]: a channel cannot be empty']);
    expect(problems({ 'bad agent': {} })[0]).toMatch(/^agents\.bad agent: invalid key: agent IDs are/);
    expect(problems({ a: { readOnly: 'yes' } })).toEqual(['agents.a.readOnly: must be true or false']);
  });

  it('reports every problem at once', () => {
    const p = problems({ a: { readonly: true, tools: { x: { capability: 'allow', rate: 'often' } } }, b: { tools: { y: 'never' } } });
    expect(p).toHaveLength(3);
  });

  it('formats issues under any prefix, for use by the whole config', () => {
    const whole = z.strictObject({ agents: agentsConfigSchema.optional() });
    const r = whole.safeParse({ agents: { assistant: { tools: { slack_post_message: { capability: 'allow', capabilty: 'x' } } } } });
    expect(r.success).toBe(false);
    expect(formatConfigIssues(r.error!.issues)[0]).toMatch(/^agents\.assistant\.tools\.slack_post_message\.capabilty: unknown key/);
  });

  it('converts to JSON Schema for `mandate config schema`', () => {
    const schema = z.toJSONSchema(agentsConfigSchema) as { additionalProperties: { additionalProperties: boolean } };
    expect(schema.additionalProperties.additionalProperties).toBe(false);
  });

  it('finds tool keys that match no tool (typos)', () => {
    const agents = parseAgentsConfig({ a: { tools: { slack_post_mesage: 'deny', 'crm_*': 'allow', 'zendesk_*': 'allow', slack_post_message: 'approve' } } });
    expect(unmatchedToolKeys(agents, TOOLS.map((t) => t.name))).toEqual([
      'agents.a.tools.slack_post_mesage: matches no tool',
      'agents.a.tools.zendesk_*: matches no tool',
    ]);
  });
});

describe('agents config root', () => {
  it('says what the section must be when it is not an object', () => {
    expect(problems([1])).toEqual(['agents: must be an object mapping agent IDs to their settings']);
    expect(problems(null)).toEqual(['agents: must be an object mapping agent IDs to their settings']);
  });
});
