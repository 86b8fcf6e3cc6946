import { defineConfig } from 'vitest/config';
// @ts-expect-error: a plain .mjs module shared with stryker.config.mjs
import { MUTATION_SETS, selectedSets } from './scripts/mutation-sets.mjs';

// The tests `npm run mutation` runs against each mutant: only those of the mutated sets'
// folders (see scripts/mutation-sets.mjs), one worker per Stryker process.
const globs: string[] = selectedSets(process.env.MANDATE_MUTATE).flatMap((s: string) => MUTATION_SETS[s].tests);

export default defineConfig({
  test: {
    include: globs.filter((g) => !g.startsWith('!')),
    exclude: ['node_modules/**', ...globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
