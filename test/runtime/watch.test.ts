// A running server that applies an edited config leaves a `config_changed` record naming the
// new policy version; an invalid edit changes nothing and records nothing.
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { watchPolicy } from '../../src/runtime/watch.js';
import { verifyStore } from '../../src/audit/verify.js';
import { openStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/log.js';
import { cleanupHomes, tempHome } from '../store/helpers.js';

afterAll(cleanupHomes);

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
};

test('an applied config edit is a config_changed record with the new policy_version', async () => {
  const home = tempHome();
  const file = join(home, 'config.json');
  writeFileSync(file, '{}');
  const store = openStore(home);
  let applied = 0;
  const watcher = watchPolicy({ store, configFile: file, logger: silentLogger(), intervalMs: 10, apply: () => `sha256:v${++applied}` });
  const bump = (text: string, at: number) => {
    writeFileSync(file, text);
    utimesSync(file, at, at);
  };
  try {
    bump('{"agents": {"a": {"readOnly": true}}}', 1_800_000_000);
    await until(async () => (await store.auditCount()) > 0);
    bump('{"agents": "not an object"}', 1_800_000_100);
    await new Promise((r) => setTimeout(r, 100));
    const records = await store.readAudit({});
    expect(records).toMatchObject([
      { event: 'config_changed', call_id: expect.stringMatching(/^evt_/), tool: '', policy_version: 'sha256:v1', reason: `applied the edited config ${file}` },
    ]);
    expect(applied).toBe(1);
    expect(await verifyStore(store)).toMatchObject({ ok: true, count: 1 });
  } finally {
    watcher.close();
    await store.close();
  }
});
