// Reads a StrykerJS JSON report (default reports/mutation/mutation.json) and prints the score
// per file, counting apart the mutants reported "survived" with no test run (a mutant that
// makes a test file fail to import looks like that): they say nothing about the tests.
// `--survivors` lists the survivors too.
import fs from 'node:fs';

const file = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'reports/mutation/mutation.json';
const listSurvivors = process.argv.includes('--survivors');
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const rows = [];
for (const [name, f] of Object.entries(report.files)) {
  const c = { killed: 0, timeout: 0, survived: 0, untested: 0, noCoverage: 0, ignored: 0, errors: 0 };
  for (const m of f.mutants) {
    if (m.status === 'Killed') c.killed++;
    else if (m.status === 'Timeout') c.timeout++;
    // A static mutant (evaluated once, at import) has no per-test coverage: every test ran against
    // it, or none did when it broke a test file's import. Counted apart; check them by hand.
    else if (m.status === 'Survived' && (m.testsCompleted === 0 || (m.static && (m.coveredBy?.length ?? 0) === 0))) c.untested++;
    else if (m.status === 'Survived') c.survived++;
    else if (m.status === 'NoCoverage') c.noCoverage++;
    else if (m.status === 'Ignored') c.ignored++;
    else c.errors++;
    if (listSurvivors && (m.status === 'Survived' || m.status === 'NoCoverage')) {
      const line = f.source.split('\n')[m.location.start.line - 1]?.trim();
      console.log(`${name}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.status} → ${JSON.stringify(m.replacement)}  | ${line?.slice(0, 140)}`);
    }
  }
  const detected = c.killed + c.timeout;
  const valid = detected + c.survived + c.noCoverage;
  rows.push({ name, ...c, score: valid ? (100 * detected) / valid : 100 });
}
const total = rows.reduce((t, r) => {
  for (const k of ['killed', 'timeout', 'survived', 'untested', 'noCoverage', 'ignored', 'errors']) t[k] = (t[k] ?? 0) + r[k];
  return t;
}, {});
const tValid = total.killed + total.timeout + total.survived + total.noCoverage;
rows.push({ name: 'all', ...total, score: tValid ? (100 * (total.killed + total.timeout)) / tValid : 100 });
console.log('file'.padEnd(32), 'score', 'killed', 'timeout', 'survived', 'no-cov', 'static-survived', 'ignored');
for (const r of rows) {
  console.log(r.name.padEnd(32), r.score.toFixed(2).padStart(6), String(r.killed).padStart(6), String(r.timeout).padStart(7), String(r.survived).padStart(8), String(r.noCoverage).padStart(6), String(r.untested).padStart(10), String(r.ignored).padStart(7));
}
