// Mutation testing of the guard (`npm run mutation`): StrykerJS 9.6.1 with the vitest runner
// (StrykerJS 10 needs Node 22). Each set mutates one concern and runs only the tests of its
// folder (vitest.mutation.config.ts), so a run stays affordable on a small machine.
// Pick sets with MANDATE_MUTATE=policy,audit (default: every set below).
import { MUTATION_SETS, selectedSets } from './scripts/mutation-sets.mjs';

const sets = selectedSets(process.env.MANDATE_MUTATE);
const report = `reports/mutation/${process.env.MANDATE_MUTATION_REPORT ?? 'mutation'}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: sets.flatMap((s) => MUTATION_SETS[s].mutate),
  concurrency: Number(process.env.MANDATE_MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${report}.html` },
  jsonReporter: { fileName: `${report}.json` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['dist', 'coverage', 'reports', 'test/.artifacts', 'bench/results.json'],
};
