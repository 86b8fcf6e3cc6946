#!/usr/bin/env node
// Builds mandate.mcpb, the Claude Desktop bundle (run by `npm run bundle`, after the build):
// manifest.json, the bundled CLI under server/, and the production dependencies copied from this
// checkout's node_modules (better-sqlite3 compiled for this machine's platform and Node ABI).
// Native addons cannot be portable across platforms and Node ABIs, so the bundle is for this
// platform: the manifest says so, and server/index.js refuses, with the way out, a runtime whose
// platform or ABI differs (see the README, "Claude Desktop bundle").
//   node scripts/mcpb.mjs [--out FILE]   (default mandate.mcpb)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(root, 'mandate.mcpb') } } });
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const mcpb = path.join(root, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
if (!fs.existsSync(path.join(root, 'dist/mandate.js'))) throw new Error('dist/mandate.js is missing: run npm run build first');

// server/index.js: starts the CLI when this runtime can load the native addons the bundle
// carries, and otherwise says why and what to do instead (no stack trace from deep in a require).
const LAUNCHER = `// Mandate's entry point in the Claude Desktop bundle (written by scripts/mcpb.mjs).
import fs from 'node:fs';
const built = JSON.parse(fs.readFileSync(new URL('./native.json', import.meta.url), 'utf8'));
const here = { platform: process.platform, arch: process.arch, modules: process.versions.modules };
if (built.platform !== here.platform || built.arch !== here.arch || built.modules !== here.modules) {
  process.stderr.write(
    'mandate: this bundle carries native modules (better-sqlite3) built for ' + built.platform + '-' + built.arch +
    ' and Node ABI ' + built.modules + ' (Node ' + built.node + '); this runtime is ' + here.platform + '-' + here.arch +
    ' with ABI ' + here.modules + ' (Node ' + process.versions.node + (process.versions.electron ? ', Electron ' + process.versions.electron : '') + ').\\n' +
    'mandate: install Mandate with your own Node instead: npm install -g mandate-mcp && mandate install claude\\n');
  process.exit(1);
}
await import('./mandate.js');
`;

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-mcpb-'));
try {
  // The server: the bundled CLI and its chunks, as in the npm package.
  fs.mkdirSync(path.join(stage, 'server'));
  fs.cpSync(path.join(root, 'dist/mandate.js'), path.join(stage, 'server/mandate.js'));
  fs.cpSync(path.join(root, 'dist/chunks'), path.join(stage, 'server/chunks'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  const native = { platform: process.platform, arch: process.arch, modules: process.versions.modules, node: process.versions.node };
  fs.writeFileSync(path.join(stage, 'server/native.json'), JSON.stringify(native, null, 2) + '\n');
  fs.writeFileSync(path.join(stage, 'server/index.js'), LAUNCHER);
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify({
    name: pkg.name, version: pkg.version, private: true, type: 'module', license: pkg.license, dependencies: pkg.dependencies,
  }, null, 2) + '\n');

  // The production dependency tree, as npm resolved it here (native addons already built).
  const prod = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' })
    .split('\n').filter((p) => p && p !== root && p.startsWith(path.join(root, 'node_modules')));
  for (const dir of prod) {
    const rel = path.relative(root, dir);
    fs.cpSync(dir, path.join(stage, rel), {
      recursive: true,
      // Sources, build intermediates and the addon's own tests are not needed at run time.
      filter: (f) => !/(^|[\\/])(deps|src|test|obj\.target|\.deps|Makefile|[^\\/]*\.(o|a|mk|gypi?|target\.mk))([\\/]|$)/.test(path.relative(dir, f)) && !f.endsWith('test_extension.node'),
    });
  }

  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8'));
  delete manifest.$schema;
  manifest.version = pkg.version;
  manifest.compatibility = { ...manifest.compatibility, platforms: [process.platform] };
  fs.writeFileSync(path.join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

  execFileSync(process.execPath, [mcpb, 'validate', path.join(stage, 'manifest.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  fs.rmSync(values.out, { force: true });
  execFileSync(process.execPath, [mcpb, 'pack', stage, values.out], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`bundle: ${path.relative(process.cwd(), values.out)} ${(fs.statSync(values.out).size / 1024 / 1024).toFixed(1)} MB for ${native.platform}-${native.arch}, Node ABI ${native.modules} (built on Node ${native.node})`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}

