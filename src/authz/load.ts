// Imports oidc-provider once, with its start-up notices routed to our logger. On Node 20 it
// prints "Unsupported runtime" through console.warn when first imported; stdout and stderr
// belong to MCP and our JSON logs, so the notice becomes one debug log line instead. The
// configuration (see config.ts) sets every default that would otherwise print a notice later.
import type { Logger } from '../log.js';

type OidcModule = typeof import('oidc-provider');

let loading: Promise<OidcModule> | undefined;

/** The oidc-provider module, imported quietly on first use. */
export function loadOidcProvider(logger: Logger): Promise<OidcModule> {
  loading ??= (async () => {
    const original = console.warn;
    const notices: string[] = [];
    console.warn = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (text.includes('oidc-provider')) notices.push(text);
      else original.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = original;
      for (const n of notices) logger.debug({ notice: n }, 'oidc-provider start-up notice');
    }
  })();
  return loading;
}
