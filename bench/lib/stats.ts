/**
 * Summaries of repeated measurements. Every figure the bench reports is a Stat: the median of
 * its samples with min, max and quartiles, the samples themselves, and whether its own spread
 * is too wide to trust (max / min > UNSTABLE_SPREAD): run-to-run instability is a result too.
 */

export const UNSTABLE_SPREAD = 1.5;

export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation). */
  readonly q1: number;
  readonly q3: number;
  readonly n: number;
  /** max / min > UNSTABLE_SPREAD (only for positive figures). */
  readonly unstable: boolean;
  readonly samples: readonly number[];
}

export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

/** Quantile q (0..1) of sorted values, linear interpolation between closest ranks. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(samples: readonly number[]): Stat {
  if (samples.length === 0) return { median: NaN, min: NaN, max: NaN, q1: NaN, q3: NaN, n: 0, unstable: false, samples: [] };
  const sorted = [...samples].sort((a, b) => a - b);
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return {
    median: round(quantile(sorted, 0.5)),
    min: round(min),
    max: round(max),
    q1: round(quantile(sorted, 0.25)),
    q3: round(quantile(sorted, 0.75)),
    n: samples.length,
    unstable: min > 0 && max / min > UNSTABLE_SPREAD,
    samples: samples.map((value) => round(value)),
  };
}

/** Per-sample ratios a[i] / b[i] of two series measured side by side. */
export function ratios(a: readonly number[], b: readonly number[]): Stat {
  return summarize(a.map((value, index) => value / b[index]!));
}

/** "1.013 [0.998, 1.041]" */
export function formatStat(stat: Stat, digits = 4): string {
  if (stat.n === 0) return 'not measured';
  const f = (value: number): string => String(round(value, digits));
  return `${f(stat.median)} [${f(stat.min)}, ${f(stat.max)}]`;
}
