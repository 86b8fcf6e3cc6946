// One Mandate instance of the deployment bench, as its own process: Streamable HTTP on PORT,
// the providers and config from INSTANCE_CONFIG, the store from MANDATE_STORE, the public URL
// (the balancer in front) as its MCP resource. Prints READY (as test/e2e/fixtures/instance.ts).
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { startRuntime } from '../src/runtime/index.js';
import { serveHttp } from '../src/transports/http.js';

const env = process.env;
const publicUrl = env.PUBLIC_URL!;
const config = parseConfig(JSON.parse(env.INSTANCE_CONFIG!));
const handle = await serveHttp(
  () => startRuntime({ home: env.MANDATE_HOME!, config, logger: silentLogger(), mcpResource: publicUrl }),
  { port: Number(env.PORT), publicUrls: [publicUrl] },
);
process.stdout.write(`READY ${handle.url}\n`);
process.on('SIGTERM', () => void handle.close().then(() => process.exit(0)));
