// Malformed frames over stdio: each is answered or ignored per JSON-RPC, and the server keeps
// serving the next valid request.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, tempHome } from '../helpers/cli.js';

function startRaw(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, 'serve'], { env });
  const messages: any[] = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) messages.push(JSON.parse(line)); // stdout must hold only JSON-RPC
    }
  });
  const send = (line: string) => child.stdin.write(line + '\n');
  const waitFor = async (id: number, ms = 15_000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const m = messages.find((x) => x.id === id);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no answer to id ${id}; got ${JSON.stringify(messages)}`);
  };
  return { child, send, waitFor, messages };
}

describe('malformed JSON-RPC over stdio', () => {
  it('survives a non-JSON line, an unknown method, an unknown tool and non-object arguments', async () => {
    const { env } = tempHome();
    const s = startRaw(env);
    try {
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
      expect((await s.waitFor(1)).result.serverInfo.name).toBe('mandate');
      s.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));

      s.send('this is not json {');
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
    } finally {
      s.child.kill();
    }
  });
});
