// Several durable audit appends at once commit without the fsync and have the WAL fsynced on
// the thread pool, so a loaded server keeps serving meanwhile. No caller may hear "durable"
// before that fsync has returned: node:fs's fsync is held here until the test lets it go.
import { afterAll, describe, expect, test, vi } from 'vitest';

const held: Array<() => void> = [];
let holding = false;
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
    fs.fsync(fd, (err) => (holding ? held.push(() => cb(err)) : cb(err)))) as typeof fs.fsync;
  return { ...fs, default: { ...fs, fsync }, fsync };
});

const { openStore } = await import('../../src/store/index.js');
const { verifyStore } = await import('../../src/audit/verify.js');
const { cleanupHomes, sampleInput, tempHome } = await import('./helpers.js');

afterAll(cleanupHomes);

describe('durable appends under load', () => {
  test('none resolves before the background fsync of the WAL returns; all are on disk after', async () => {
    const home = tempHome();
    const store = openStore(home);
    await store.appendAudit([sampleInput(1)]); // the WAL exists from here on
    holding = true;
    let settled = 0;
    const pending = Array.from({ length: 20 }, (_, i) => store.appendAudit([sampleInput(i + 2)]).then((r) => (settled++, r)));
    await vi.waitFor(() => expect(held.length).toBe(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(0); // committed, readable, but nobody told it is durable
    expect(await store.auditCount()).toBe(21);
    holding = false;
    held.splice(0).forEach((release) => release());
    const records = await Promise.all(pending);
    expect(settled).toBe(20);
    expect(records.map(([r]) => r!.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(store.stats().backgroundFsyncs).toBe(1);

    // A lone caller is not sent to the thread pool: its commit carries its own fsync.
    await store.appendAudit([sampleInput(30)]);
    expect(store.stats().backgroundFsyncs).toBe(1);
    await store.close();

    const reopened = openStore(home);
    expect(await verifyStore(reopened)).toMatchObject({ ok: true, count: 22 });
    await reopened.close();
  });

  test('closing the store while a background fsync is out flushes first and settles every caller', async () => {
    const home = tempHome();
    const store = openStore(home);
    await store.appendAudit([sampleInput(1)]);
    holding = true;
    const pending = Promise.all(Array.from({ length: 5 }, (_, i) => store.appendAudit([sampleInput(i + 2)])));
    await vi.waitFor(() => expect(held.length).toBe(1));
    await store.close();
    holding = false;
    held.splice(0).forEach((release) => release());
    expect((await pending).flat()).toHaveLength(5);
    const reopened = openStore(home);
    expect(await reopened.auditCount()).toBe(6);
    await reopened.close();
  });
});
