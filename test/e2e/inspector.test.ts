// The MCP Inspector's CLI mode against the built server over stdio, as its README shows.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, tempHome } from '../helpers/cli.js';

const INSPECTOR = path.join(ROOT, 'node_modules/.bin/mcp-inspector');

function inspect(env: NodeJS.ProcessEnv, args: string[]) {
  const r = spawnSync(INSPECTOR, ['--cli', process.execPath, CLI, 'serve', ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('MCP Inspector CLI mode', () => {
  it('lists the 21 tools of an agent allowed everything', () => {
    const { env } = tempHome({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
    const r = inspect(env, ['--method', 'tools/list']);
    expect(r.code, r.err).toBe(0);
    const tools = JSON.parse(r.out).tools as { name: string }[];
    expect(tools).toHaveLength(21);
  });

  it('calls a tool and reads its structured result', () => {
    const { env } = tempHome();
    const r = inspect(env, ['--method', 'tools/call', '--tool-name', 'slack_list_channels', '--tool-arg', 'limit=5']);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent.channels).toHaveLength(5);
    expect(result._meta['mandate/call_id']).toMatch(/^[0-9A-Z]{26}$/);
  });
});
