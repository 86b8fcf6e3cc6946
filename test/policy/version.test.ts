import { describe, expect, it } from 'vitest';
import { policyVersion } from '../../src/policy/version.js';

describe('policyVersion', () => {
  const agents = { assistant: { tools: { slack_post_message: { capability: 'approve', rate: '10/hour' }, 'crm_*': 'allow' } }, reader: { readOnly: true } };

  it('is sha256: and 16 hex digits', () => {
    expect(policyVersion(agents)).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('does not depend on key order', () => {
    const reordered = { reader: { readOnly: true }, assistant: { tools: { 'crm_*': 'allow', slack_post_message: { rate: '10/hour', capability: 'approve' } } } };
    expect(policyVersion(reordered)).toBe(policyVersion(agents));
  });

  it('changes when any rule or the approvals settings change', () => {
    const v = policyVersion(agents, { waitSeconds: 120 });
    expect(policyVersion({ ...agents, reader: { readOnly: false } }, { waitSeconds: 120 })).not.toBe(v);
    expect(policyVersion(agents, { waitSeconds: 60 })).not.toBe(v);
    expect(policyVersion(agents)).not.toBe(v);
  });

  it('is the digest of the canonical JSON of {agents, approvals} (a known value)', () => {
    // computed independently with `printf '%s' '{"agents":{}}' | sha256sum`.
    expect(policyVersion({})).toBe('sha256:1a45d49d295538a6');
  });
});
