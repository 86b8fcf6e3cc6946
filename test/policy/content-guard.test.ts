// The outbound content guard on a corpus: every positive found (and named, never quoted),
// look-alike negatives left alone; the false positives it still makes are pinned at the end,
// so a change to them is seen.
import { describe, expect, it } from 'vitest';
import { guardContent, scanText, type GuardLayer } from '../../src/policy/content-guard.js';
import { contentGuardSchema } from '../../src/policy/content-guard.js';

const kinds = (text: string) => scanText(text, 'text').map((f) => f.category);

// Token-shaped test strings are assembled at run time, so no scanner flags this file itself.
const j = (...parts: string[]) => parts.join('');
const JWT = j('eyJhbGciOiJIUzI1NiJ9', '.', 'eyJzdWIiOiJ1c2VyIn0', '.', 'c2lnbmF0dXJlLXNpZ25hdHVyZQ');
const SLACK = j('xox', 'b-', '1234567890-0987654321-AbCdEfGhIjKlMnOp');
const GITHUB = j('gh', 'p_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8');
const AWS = j('AKIA', 'IOSFODNN7EXAMPLE');
const GOOGLE_KEY = j('AIza', 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q');
const PEM = j('-----BEGIN ', 'RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA ', 'PRIVATE KEY-----');
const ENTROPY = j('q8Zt3LmV9xR2', 'pK7wN4sD1fH6', 'jB0cY5gT');

const JS_TRACE = `TypeError: Cannot read properties of undefined (reading 'id')
    at handler (/srv/app/src/routes/user.js:42:17)
    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at next (node:internal/process/task_queues:95:5)`;
const PY_TRACE = `Traceback (most recent call last):
  File "/app/main.py", line 10, in <module>
    main()
ValueError: bad`;
const JAVA_TRACE = `java.lang.NullPointerException: oops
\tat com.acme.billing.Invoice.total(Invoice.java:88)
\tat com.acme.billing.Run.main(Run.java:12)`;
const GO_TRACE = `panic: runtime error: index out of range
goroutine 1 [running]:
main.main()
\t/tmp/x/main.go:8 +0x1d`;
const LOG_DUMP = `2026-11-29T10:00:01.123Z INFO  server started on :8080
2026-11-29T10:00:02.456Z WARN  cache miss for key user:42
2026-11-29T10:00:03.789Z ERROR upstream timed out after 30s`;
const LEVEL_DUMP = `[INFO] build started\n[WARN] deprecated flag --x\n[ERROR] test failed: 3 of 120`;
const JSON_DUMP = `{"level":"info","msg":"start"}\n{"level":"warn","msg":"slow"}\n{"level":"error","msg":"down"}`;
const SYSLOG = `Nov 29 10:00:01 web1 sshd[812]: Accepted key\nNov 29 10:00:02 web1 sshd[812]: session opened\nNov 29 10:00:03 web1 cron[90]: job done`;

describe('positives', () => {
  it.each([
    ['a JWT', JWT], ['a Slack token', SLACK], ['a GitHub token', GITHUB], ['an AWS access key', AWS],
    ['a Google API key', GOOGLE_KEY], ['a private key block', PEM], ['a high-entropy string', ENTROPY],
    ['an Authorization header', 'curl -H "Authorization: Bearer abc123.def456-ghi789"'],
  ])('%s is a secret', (_label, secret) => {
    expect(kinds(`here you go: ${secret} thanks`)).toContain('secrets');
  });

  it.each([['JavaScript', JS_TRACE], ['Python', PY_TRACE], ['Java', JAVA_TRACE], ['Go', GO_TRACE]])('a %s stack trace', (_l, trace) => {
    expect(kinds(`It crashed:\n${trace}`)).toContain('stackTraces');
  });

  it.each([['ISO timestamps', LOG_DUMP], ['bracketed levels', LEVEL_DUMP], ['JSON lines', JSON_DUMP], ['syslog', SYSLOG]])('a log dump with %s', (_l, dump) => {
    expect(kinds(`logs:\n${dump}`)).toContain('logDumps');
  });
});

describe('look-alike negatives', () => {
  it.each([
    'Meeting at 10:00 tomorrow; the error budget is at 40%.',
    'The deploy failed at step 3 (see ticket OPS-1234); retrying at 14:30.',
    'Please review PR #4521 at github.com/acme/api/pull/4521',
    'Our customer id is C024BE91L and the channel is #support-updates',
    'Use the eyJ prefix to spot JWTs in logs (never paste them).',
    'xoxb tokens are bot tokens; ghp_ tokens are GitHub PATs.',
    'INFO: the office is closed on Friday.',
    'Error: the meeting room is booked. Warning: bring your badge.',
    'at home (back at 5:30)\nat work tomorrow',
    'Order 2026-11-29 10:00 confirmed',
    'https://docs.example.com/guides/getting-started/installation-and-configuration',
    'sha256 of the release: 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b',
    'UUID 123e4567-e89b-12d3-a456-426614174000 for the record',
    'AKIA is the prefix of AWS access key IDs.',
    '-----BEGIN PUBLIC KEY----- is fine to share',
    'the_quick_brown_fox_jumps_over_the_lazy_dog_again_and_again',
  ])('%s', (text) => {
    expect(kinds(text)).toEqual([]);
  });
});

describe('the verdict', () => {
  const none: GuardLayer[] = [];
  it('defaults: secrets deny, stack traces and log dumps approve; nothing found allows', () => {
    expect(guardContent({ channel: '#general', text: 'hello team' }, none).action).toBe('allow');
    expect(guardContent({ text: LOG_DUMP }, none).action).toBe('approve');
    expect(guardContent({ text: JS_TRACE }, none).action).toBe('approve');
    const v = guardContent({ channel: '#general', text: `${LOG_DUMP}\nauth: ${SLACK}` }, none);
    expect(v.action).toBe('deny');
    expect(v.rule).toBe('default: contentGuard.secrets is deny');
    expect(v.reason).toBe('the outbound content guard found a Slack token and a log dump (3 log lines) in text: refused by default: contentGuard.secrets is deny');
    expect(v.reason).not.toContain(SLACK.slice(5));
  });

  it('layers: the config, then the agent, then the tool rule; a bare action sets every category and pattern', () => {
    const layers: GuardLayer[] = [
      { path: ['contentGuard'], config: { logDumps: 'deny', patterns: { customer: { regex: 'CUST-\\d{6}', label: 'a customer ID' } } } },
      { path: ['agents', 'ops', 'contentGuard'], config: { secrets: 'approve' } },
    ];
    expect(guardContent({ body: 'for CUST-123456' }, layers)).toMatchObject({ action: 'deny', rule: 'contentGuard.patterns.customer' });
    expect(guardContent({ body: 'for CUST-123456' }, layers).reason).toContain('a customer ID in body');
    expect(guardContent({ text: SLACK }, layers)).toMatchObject({ action: 'approve', rule: 'agents.ops.contentGuard.secrets' });
    expect(guardContent({ text: LOG_DUMP }, layers)).toMatchObject({ action: 'deny', rule: 'contentGuard.logDumps' });
    const tool = [...layers, { path: ['agents', 'ops', 'tools', 'crm_create_note', 'contentGuard'], config: 'allow' as const }];
    expect(guardContent({ body: `CUST-123456 ${SLACK}` }, tool).action).toBe('allow');
  });

  it('nested fields are named by their path', () => {
    expect(guardContent({ attendees: ['a@example.com'], description: PY_TRACE }, none).reason).toContain('a stack trace in description');
    expect(guardContent({ properties: { notes: [SLACK] } }, none).reason).toContain('in properties.notes[0]');
  });

  it('config: actions and patterns are checked', () => {
    expect(contentGuardSchema.safeParse('approve').success).toBe(true);
    expect(contentGuardSchema.safeParse({ secrets: 'maybe' }).success).toBe(false);
    expect(contentGuardSchema.safeParse({ patterns: { x: { regex: '(' } } }).success).toBe(false);
    expect(contentGuardSchema.safeParse({ patterns: { x: { regex: 'a+', action: 'approve' } } }).success).toBe(true);
  });
});

// The false positives the guard still makes: ordinary text it flags. Each is a known cost of
// scanning without context, and the reason a deployment can set a tool's guard to `approve`.
describe('known false positives', () => {
  it.each([
    ['a long random-looking ID, such as a Stripe-like object id or a share link slug', j('doc_', 'Xk9mQ2vR7tL4wZ8pN3bH6yJ1cF5gD0sA')],
    ['three lines of a meeting agenda written like log levels', 'ERROR: projector broken\nWARN: room is cold\nINFO: lunch at 12'],
    ['a quoted code sample with two "at" frames in a how-to message', 'frames look like:\n at f (a.js:1:2)\n at g (b.js:3:4)'],
  ])('%s', (_what, text) => {
    expect(kinds(text).length).toBeGreaterThan(0);
  });
});
