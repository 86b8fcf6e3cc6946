// `mandate sandbox`: the emulated APIs and the embedded authorization server alone, for
// building agents against safe data. `sandbox token` prints a per-tool token minted by the
// running sandbox (refused outside the sandbox).
import { parseArgs } from 'node:util';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { loadConfig } from '../../config/load.js';
import { isSandbox } from '../../config/schema.js';
import { createLogger } from '../../log.js';
import { startRuntime } from '../../runtime/index.js';
import { readSandboxInfo, removeSandboxInfo, writeSandboxInfo } from '../../runtime/sandbox-file.js';
import { SECRET_ACCOUNTS } from '../../runtime/identity.js';
import { openSecretStore } from '../../secrets/index.js';
import { clientCredentialsActor, createTokenBroker, refreshingSubject } from '../../tokens/index.js';
import { RESOURCES } from '../../resources.js';
import { allTools } from '../../../tools/index.js';
import { DEMO_AGENT, DEMO_USER } from '../../sandbox/index.js';

export async function runSandbox(args: string[], io: CliIo): Promise<number> {
  const { config } = loadConfig(io.env);
  if (!isSandbox(config)) throw new UsageError('the config names real providers or an authorization server: the sandbox is off');
  if (args[0] === 'token') return sandboxToken(args.slice(1), io);
  if (args.length) throw new UsageError('usage: mandate sandbox | mandate sandbox token --agent ID --tool NAME');

  const logger = createLogger({ service: 'mandate-sandbox' });
  const runtime = await startRuntime({ home: io.home, config, logger, mcpResource: 'urn:mandate:sandbox' });
  const sb = runtime.sandbox!;
  writeSandboxInfo(io.home, { pid: process.pid, issuer: runtime.identity.issuer!, mcpResource: 'urn:mandate:sandbox', baseUrls: sb.baseUrls });
  println(io.stdout, `Slack Web API      ${sb.baseUrls.slack}`);
  println(io.stdout, `HubSpot CRM v3     ${sb.baseUrls.crm}`);
  println(io.stdout, `Google Calendar v3 ${sb.baseUrls.calendar}`);
  println(io.stdout, `Authorization      ${runtime.identity.issuer}`);
  println(io.stderr, 'mandate: sandbox running; get a per-tool token with "mandate sandbox token --agent demo-agent --tool slack_list_channels". Ctrl-C stops it.');
  await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
  removeSandboxInfo(io.home);
  await runtime.close();
  return 0;
}

async function sandboxToken(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { agent: { type: 'string', default: DEMO_AGENT }, tool: { type: 'string' } }, strict: true });
  const tool = allTools.find((t) => t.name === values.tool);
  if (!tool || tool.provider === 'mandate') throw new UsageError('usage: mandate sandbox token --agent ID --tool NAME (an upstream tool)');
  const info = readSandboxInfo(io.home);
  if (!info) {
    println(io.stderr, 'no sandbox is running for this MANDATE_HOME: start "mandate sandbox" (or "npm start") first');
    return 1;
  }
  const secrets = await openSecretStore({ home: io.home });
  const agentSecret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client(values.agent!));
  const mandateSecret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client('mandate'));
  const refreshToken = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.delegation(values.agent!));
  if (!agentSecret || !mandateSecret || !refreshToken) {
    println(io.stderr, `the running sandbox has no delegation to agent ${values.agent}; name it under "agents" in the config and restart the sandbox`);
    return 1;
  }
  const oauth = { issuer: info.issuer, clientId: values.agent!, clientSecret: agentSecret };
  const broker = createTokenBroker({ issuer: info.issuer, clientId: 'mandate', clientSecret: mandateSecret });
  const { token } = await broker.perToolToken({
    user: DEMO_USER.id, agent: values.agent!, resource: RESOURCES[tool.provider], scopes: tool.scopes,
    subject: refreshingSubject({ ...oauth, refreshToken, resource: info.mcpResource }),
    actor: clientCredentialsActor({ ...oauth, resource: info.mcpResource }),
  });
  println(io.stdout, token);
  return 0;
}
