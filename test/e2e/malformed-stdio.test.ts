// Malformed frames over stdio: each is answered or ignored per JSON-RPC, and the server keeps
// serving the next valid request.
import { describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/cli.js';
import { rawStdio, waitUntil } from '../hardening/support.js';

describe('malformed JSON-RPC over stdio', () => {
  it('answers a non-JSON line, a batch, a wrong version, an unknown method, an unknown tool and non-object arguments', async () => {
    const { env } = tempHome();
    const s = rawStdio(env);
    try {
      await s.initialize();

      s.send('this is not json {');
      await waitUntil(() => s.messages.find((m) => m.id === null && m.error?.code === -32700), 10_000, 'a parse error');
      // A batch and a wrong version: answered (the SDK alone would drop them and the client would wait).
      s.send(JSON.stringify([{ jsonrpc: '2.0', id: 10, method: 'ping' }, { jsonrpc: '2.0', id: 11, method: 'ping' }]));
      await waitUntil(() => s.messages.find((m) => m.id === null && m.error?.code === -32600 && /batch/.test(m.error.message)), 10_000, 'a batch refusal');
      s.send(JSON.stringify({ jsonrpc: '1.0', id: 12, method: 'ping' }));
      expect((await s.waitFor(12)).error.code).toBe(-32600);
      expect(s.messages.some((m) => m.id === 10 || m.id === 11)).toBe(false); // nothing of the batch ran
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/explode' }));
      expect((await s.waitFor(2)).error.code).toBe(-32601);

      s.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } }));
      const unknown = await s.waitFor(3);
      expect(unknown.result.isError).toBe(true);
      expect(unknown.result.structuredContent.error.code).toBe('capability_denied');

      s.send(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'slack_get_user', arguments: 'U0DDEMO001' } }));
      const notObject = await s.waitFor(4);
      // Either a JSON-RPC invalid-params error or an invalid_arguments result: never silence, never a crash.
      if (notObject.error) expect(notObject.error.code).toBe(-32602);
      else expect(notObject.result.structuredContent.error.code).toBe('invalid_arguments');

      s.send(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'mandate_whoami', arguments: {} } }));
      const ok = await s.waitFor(5);
      expect(ok.result.structuredContent.agent).toBe('demo-agent');
      expect(s.child.exitCode).toBeNull();
      expect(s.junk).toEqual([]); // stdout carried only JSON-RPC
    } finally {
      await s.close();
    }
  });
});
