/**
 * Summaries of repeated measurements. Every figure the bench reports is a Stat: the median of
 * its samples with their min and max, and the samples themselves.
 */

export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
  readonly samples: readonly number[];
}

export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: readonly number[]): Stat {
  if (samples.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0, samples: [] };
  return {
    median: round(median(samples)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    n: samples.length,
    samples: samples.map((value) => round(value)),
  };
}

/** "1.013 [0.998, 1.041]" */
export function formatStat(stat: Stat, digits = 4): string {
  if (stat.n === 0) return 'not measured';
  const f = (value: number): string => String(round(value, digits));
  return `${f(stat.median)} [${f(stat.min)}, ${f(stat.max)}]`;
}
