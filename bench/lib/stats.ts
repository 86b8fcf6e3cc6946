// Small numeric helpers for the benchmark: percentiles over samples and fixed-width table
// rows. Nothing here measures; it only summarises what run.ts measured.

/** The q-quantile (0..1) of `samples` by nearest rank; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median of `samples`. */
export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

/** p50 and p99 of `samples`, in the samples' unit. */
export function p50p99(samples: readonly number[]): { p50: number; p99: number } {
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

/** Rounds to `digits` decimals (keeps results.json readable). */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Formats a row of cells padded to `widths` (left-aligned first column, right-aligned others). */
export function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}
