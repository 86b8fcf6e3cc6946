// Drives the built CLI (dist/) as a user would: a fresh MANDATE_HOME per test, the SDK's
// Client over stdio, and plain `mandate …` commands. Everything the processes print is kept
// so leak scans can read it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist/mandate.js');

/** A temporary MANDATE_HOME, optionally with a config file. */
export function tempHome(config?: unknown): { home: string; env: NodeJS.ProcessEnv } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-test-'));
  if (config !== undefined) fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config, null, 2));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MANDATE_HOME: home,
    MANDATE_LOG_LEVEL: process.env.MANDATE_LOG_LEVEL ?? 'info',
    MANDATE_SECRETS: process.env.MANDATE_SECRETS ?? 'file',
  };
  delete env.MANDATE_CONFIG;
  return { home, env };
}

/** Runs `mandate <args>` to completion. */
export function mandate(args: string[], env: NodeJS.ProcessEnv, input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `mandate <args>` without blocking the event loop (for commands that talk to a server in this process). */
export function mandateAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface StdioSession {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

/** Spawns `mandate serve` (stdio) and connects the SDK's Client to it. */
export async function connectStdio(env: NodeJS.ProcessEnv, extraArgs: string[] = [], clientCapabilities: Record<string, unknown> = {}): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', ...extraArgs],
    env: env as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'mandate-e2e', version: '1.0.0' }, { capabilities: clientCapabilities });
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    close: async () => { await client.close(); },
  };
}

/** The structured content of a tool result, typed loosely for assertions. */
export function sc(result: unknown): Record<string, any> {
  return ((result as { structuredContent?: Record<string, unknown> }).structuredContent ?? {}) as Record<string, any>;
}
