/**
 * The results file, its goals and its tables. `node dist/bench/report.js <results.json>` prints
 * the markdown tables of a run (used for docs/benchmarks.md).
 */
import * as fs from 'node:fs';
import type { MachineInfo } from './lib/machine';
import { formatStat, UNSTABLE_SPREAD, type Stat } from './lib/stats';

export interface BenchResults {
  readonly schema: 'vas-frame-export-bench/2';
  readonly profile: 'quick' | 'full';
  readonly machine: MachineInfo;
  readonly started_at: string;
  readonly duration_s: number;
  readonly load_average_after: readonly number[];
  readonly errors: readonly string[];
  readonly goals: readonly GoalResult[];
  /** Figures whose own spread is too wide to trust (max / min > UNSTABLE_SPREAD). */
  readonly unstable: readonly string[];
  readonly scaling: ReadonlyArray<{ readonly cameras: number; readonly [key: string]: Stat | number }> | null;
  readonly [key: string]: unknown;
}

export interface GoalResult {
  readonly key: string;
  readonly goal: string;
  readonly median: number | null;
  readonly met: boolean | null;
}

/** The stable keys, in report order: what each is, and its goal. */
export const STABLE_KEYS: ReadonlyArray<readonly [key: string, what: string, goal?: readonly ['<=' | '>=', number]]> = [
  ['off_ratio', 'export off: host per-frame path with NOOP_HOOK.onFrame / without a hook (CPU per call)', ['<=', 1.02]],
  ['tap_vs_floor_1080p', 'tap host process CPU per 1080p frame / C read(2) floor, same pipe and producer (koffi)', ['<=', 1.1]],
  ['tap_vs_floor_720p', 'the same at 720p', ['<=', 1.1]],
  ['ffmpeg_on_off_1080p', "VAS's FFmpeg (libx264 RTP + HLS) CPU per frame, export on / off, 1080p source exported at 1080p", ['<=', 1.03]],
  ['ffmpeg_on_off_720p', 'the same, 720p source exported at 720p', ['<=', 1.03]],
  ['ffmpeg_copy_host_on_off_1080p', 'a stream-copy host (RTP + HLS, -c:v copy), export on / off: export adds the decode'],
  ['alloc_bytes_per_frame', 'tap thread heap bytes per frame, upper bound', ['<=', 0]],
  ['shm_bytes_per_camera_1080p', 'frame.meta + frame.data at 1080p, default 4 slots'],
  ['rss_on_mb', 'host RSS, 4 cameras at 1080p30, export on (MiB)'],
  ['rss_off_mb', 'host RSS, same host, export off (MiB)'],
  ['reader_wakeups_per_frame', 'TypeScript reader in waitNext (FUTEX_WAIT) on a 30 fps writer: wake-ups per delivered frame', ['<=', 1.1]],
  ['reader_latency_p99_ms', 'the same reader: commit -> reader holds its copy, p99 (ms)', ['<=', 0.2]],
  ['reader_readinto_vs_memcpy_1080p', 'readInto of a 1080p frame / TypedArray.set of the same bytes from the same mapping', ['<=', 1.2]],
  ['writer_futex_wake_us', "the writer's FUTEX_WAKE per commit, nobody waiting (koffi, us)"],
];

/** Diagnostics beside the headline figures; they may change. */
export const EXTRA_GOALS: ReadonlyArray<readonly [key: string, op: '<=' | '>=', value: number]> = [
  ['tap_vs_peer_1080p', '<=', 1], ['tap_vs_peer_720p', '<=', 1],
];

function isStat(value: unknown): value is Stat {
  return typeof value === 'object' && value !== null && 'median' in value && 'n' in value;
}

export function evaluateGoals(results: Record<string, unknown>): GoalResult[] {
  const goals: GoalResult[] = [];
  const check = (key: string, stat: unknown, op: '<=' | '>=', value: number): void => {
    const measured = isStat(stat) && stat.n > 0;
    const met = !measured ? null : op === '<=' ? stat.median <= value : stat.median >= value;
    goals.push({ key, goal: `${op} ${value}`, median: measured ? stat.median : null, met });
  };
  for (const [key, , goal] of STABLE_KEYS) if (goal !== undefined) check(key, results[key], goal[0], goal[1]);
  for (const [key, op, value] of EXTRA_GOALS) check(key, results[key], op, value);
  for (const row of (results.scaling as BenchResults['scaling']) ?? []) {
    check(`scaling[${row.cameras}].frames_lost`, row.frames_lost, '<=', 0);
    check(`scaling[${row.cameras}].publish_latency_p99_ms`, row.publish_latency_p99_ms, '<=', 2);
  }
  return goals;
}

/** Headline figures (stable keys, scaling rows) whose max / min exceeds UNSTABLE_SPREAD; diagnostics carry their own flag. */
export function unstableFigures(results: Record<string, unknown>): string[] {
  const out: string[] = [];
  const visit = (key: string, value: unknown): void => {
    if (isStat(value) && value.unstable) out.push(`${key} (max/min ${(value.max / value.min).toFixed(2)})`);
  };
  for (const [key] of STABLE_KEYS) visit(key, results[key]);
  for (const row of (results.scaling as BenchResults['scaling']) ?? []) {
    for (const [key, value] of Object.entries(row)) visit(`scaling[${row.cameras}].${key}`, value);
  }
  return out;
}

function cell(value: unknown): string {
  if (!isStat(value)) return 'not measured';
  return `${formatStat(value)}${value.unstable ? ' **unstable**' : ''}`;
}

export function markdownTables(results: BenchResults): string {
  const goalOf = new Map(results.goals.map((goal) => [goal.key, goal]));
  const mark = (key: string): string => {
    const goal = goalOf.get(key);
    if (goal === undefined) return '';
    return `${goal.goal}: ${goal.met === null ? 'not measured' : goal.met ? 'met' : 'MISSED'}`;
  };
  const lines = ['| key | median [min, max] | goal | what |', '|---|---|---|---|'];
  for (const [key, what] of STABLE_KEYS) lines.push(`| \`${key}\` | ${cell(results[key])} | ${mark(key)} | ${what} |`);
  lines.push('', '| cameras at 1080p30 | `cpu_pct_one_core` | CPU us per frame | `frames_lost` | publish latency p50 ms | publish latency p99 ms | max ms | fps per camera |',
    '|---:|---|---|---|---|---|---|---|');
  for (const row of results.scaling ?? []) {
    lines.push(`| ${row.cameras} | ${cell(row.cpu_pct_one_core)} | ${cell(row.cpu_us_per_frame)} | ${cell(row.frames_lost)} ${mark(`scaling[${row.cameras}].frames_lost`)} | ` +
      `${cell(row.publish_latency_p50_ms)} | ${cell(row.publish_latency_p99_ms)} ${mark(`scaling[${row.cameras}].publish_latency_p99_ms`)} | ` +
      `${cell(row.publish_latency_max_ms)} | ${cell(row.fps_per_camera)} |`);
  }
  lines.push('', '| other key | median [min, max] | goal |', '|---|---|---|');
  const stable = new Set(['scaling', ...STABLE_KEYS.map(([key]) => key)]);
  for (const [key, value] of Object.entries(results)) if (isStat(value) && !stable.has(key)) lines.push(`| \`${key}\` | ${cell(value)} | ${mark(key)} |`);
  lines.push('', results.unstable.length === 0
    ? `No headline figure spread wider than max/min ${UNSTABLE_SPREAD}.`
    : `unstable: ${results.unstable.join('; ')} (max/min > ${UNSTABLE_SPREAD}: this run's spread is too wide to trust these medians)`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/report.js <results.json>\n');
    process.exit(2);
  }
  process.stdout.write(`${markdownTables(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults)}\n`);
}
