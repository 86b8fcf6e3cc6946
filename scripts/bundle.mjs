#!/usr/bin/env node
// Bundles the CLI into dist/mandate.js (run by `npm run build`, after tsc). Starting Node on one
// file instead of hundreds cuts the stdio cold start: most of it was the module loader's
// per-file work (resolve, stat, open, compile). Code split: what the CLI imports dynamically
// (the other commands, the HTTP transport, the authorization server) lands in dist/chunks/
// and still loads only when it is needed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/**
 * Left to Node at run time, resolved from node_modules: native addons, which find their
 * compiled `.node` file relative to their own package (better-sqlite3, keytar,
 * @napi-rs/keyring; the keychain modules are imported by a computed name anyway).
 */
const external = ['better-sqlite3', 'pg', 'pg-native', 'keytar', '@napi-rs/keyring', '@napi-rs/keyring/*'];

// Stale chunks from an earlier build would otherwise pile up beside the new ones.
fs.rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });
for (const f of ['mandate.js', 'mandate.js.map']) fs.rmSync(path.join(dist, f), { force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { mandate: 'src/cli/main.ts' },
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS dependencies (pino, koa's) call `require` for Node's built-ins.
  banner: { js: "import { createRequire as __mandateCreateRequire } from 'node:module';\nconst require = __mandateCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  keepNames: true,
  metafile: true,
  logLevel: 'warning',
});

const entry = path.join(dist, 'mandate.js');
if (!fs.readFileSync(entry, 'utf8').startsWith('#!/usr/bin/env node\n')) throw new Error('dist/mandate.js lost its shebang');
fs.chmodSync(entry, 0o755);

const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const main = outputs.find(([f]) => f === 'dist/mandate.js');
console.log(`bundle: dist/mandate.js ${kb(main[1].bytes)} + ${outputs.length - 1} chunks ${kb(outputs.reduce((s, [, o]) => s + o.bytes, 0) - main[1].bytes)}`);
