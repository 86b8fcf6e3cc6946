// Which Host and Origin a loopback server answers to, for every server a browser can reach
// (the MCP endpoint, the embedded authorization server, the approval console). A page on
// another name that resolves to 127.0.0.1 (DNS rebinding) sends that name as Host; a page on
// another site sends its own Origin. Loopback names, and names the operator configured, only.
import type http from 'node:http';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

/** `Host` values of a loopback server on `port`. */
export function loopbackHosts(port: number): string[] {
  return LOOPBACK_NAMES.map((h) => `${h}:${port}`);
}

/** Whether `origin` is a page served from this machine (any port, plain http). */
export function isLoopbackOrigin(origin: string): boolean {
  const u = URL.parse(origin);
  return !!u && u.protocol === 'http:' && (LOOPBACK_NAMES as readonly string[]).includes(u.hostname) && u.origin === origin;
}

/** The `Host` of a configured public URL (e.g. `https://mandate.example.com`), lower case. */
export function hostOf(url: string): string {
  return new URL(url).host.toLowerCase();
}

/**
 * Why a request may not be served (null when it may): its `Host` is not one of `hosts`, or it
 * comes from a page whose `Origin` is neither a loopback page nor one of `origins`.
 */
export function hostAllowed(req: http.IncomingMessage, hosts: ReadonlySet<string>, origins: ReadonlySet<string> = new Set()): string | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return 'this server answers only to its own loopback address (Host not allowed)';
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin) && !isLoopbackOrigin(origin)) return 'requests from this origin are not allowed';
  return null;
}
