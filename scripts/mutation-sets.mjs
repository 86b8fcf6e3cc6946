// The module sets `npm run mutation` mutates, each with the test folders that hold it.
// Shared by stryker.config.mjs (what to mutate) and vitest.mutation.config.ts (what to run).

/** @type {Record<string, { mutate: string[]; tests: string[] }>} */
export const MUTATION_SETS = {
  policy: { mutate: ['src/policy/**/*.ts'], tests: ['test/policy/**/*.test.ts'] },
  audit: {
    mutate: ['src/audit/canonical.ts', 'src/audit/verify.ts', 'src/audit/redact.ts', 'src/audit/digest.ts'],
    // cli.test.ts runs the built CLI (dist/), which no mutant reaches.
    tests: ['test/audit/**/*.test.ts', '!test/audit/cli.test.ts'],
  },
  tokens: { mutate: ['src/tokens/**/*.ts'], tests: ['test/tokens/**/*.test.ts'] },
  approvals: { mutate: ['src/approvals/**/*.ts'], tests: ['test/approvals/**/*.test.ts', 'test/store/approvals.test.ts'] },
};

/** The sets named in `list` (comma-separated), or every set. */
export function selectedSets(list) {
  const names = (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(n in MUTATION_SETS)) throw new Error(`MANDATE_MUTATE: no set named "${n}" (sets: ${Object.keys(MUTATION_SETS).join(', ')})`);
  return names.length ? names : Object.keys(MUTATION_SETS);
}
