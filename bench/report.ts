/**
 * The results file, its goals and its table. `node dist/bench/report.js <results.json>` prints
 * the markdown table of a run (used for docs/benchmarks.md).
 */
import * as fs from 'node:fs';
import type { MachineInfo } from './lib/machine';
import { formatStat, type Stat } from './lib/stats';

export interface ScalingRowJson {
  readonly cameras: number;
  readonly cpu_pct_one_core: Stat;
  readonly frames_lost: Stat;
  readonly latency_p50_ms: Stat;
  readonly latency_p99_ms: Stat;
  readonly [extra: string]: Stat | number;
}

export interface GoalResult {
  readonly key: string;
  readonly goal: string;
  readonly median: number | null;
  readonly met: boolean | null;
}

export interface BenchResults {
  readonly schema: 'vas-frame-export-bench/1';
  readonly profile: 'quick' | 'full';
  readonly machine: MachineInfo;
  readonly started_at: string;
  readonly duration_s: number;
  readonly errors: readonly string[];
  readonly goals: readonly GoalResult[];
  readonly scaling: readonly ScalingRowJson[] | null;
  readonly [key: string]: unknown;
}

/** The stable keys, in report order, with what each is. */
export const STABLE_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['off_ratio', 'host per-frame path with NOOP_HOOK.onFrame / without a hook (CPU per call)'],
  ['on_vs_memcpy_1080p', 'tap thread CPU per 1080p frame / one heap-to-heap memcpy of it'],
  ['on_vs_memcpy_720p', 'tap thread CPU per 720p frame / one heap-to-heap memcpy of it'],
  ['naive_vs_ours_1080p', 'naive temp-file+rename exporter CPU per frame / onFrame into the ring'],
  ['reader_ts_vs_memcpy_1080p', 'TS FrameReader.latest() / Buffer.copy of the frame'],
  ['reader_py_vs_memcpy_1080p', 'Python FrameReader.latest() / bytes() copy in Python'],
  ['alloc_bytes_per_frame', 'heap bytes per frame, upper bound, worse of onFrame and tap'],
  ['shm_bytes_per_camera_1080p', 'frame.meta + frame.data at 1080p, default 4 slots'],
  ['rss_on_mb', 'host RSS, 4 cameras at 1080p30, export on (MiB)'],
  ['rss_off_mb', 'host RSS, same host, export off (MiB)'],
];

/** Extra keys shown in the table (diagnostics and side-by-side variants). */
export const EXTRA_KEYS: readonly string[] = [
  'off_null_ratio', 'off_ns_per_call_without_hook', 'off_ns_per_call_noop_hook', 'spawn_off_ratio', 'spawn_off_added_ns',
  'spawn_plan_ns_without_hook', 'spawn_process_ms',
  'tap_cpu_us_per_frame_1080p', 'tap_cpu_us_per_frame_720p', 'memcpy_us_1080p', 'memcpy_us_720p',
  'tap_reads_per_frame_1080p', 'tap_reads_per_frame_720p',
  'on_vs_memcpy_1080p_ffi_rs', 'on_vs_memcpy_720p_ffi_rs', 'tap_cpu_us_per_frame_1080p_ffi_rs', 'tap_cpu_us_per_frame_720p_ffi_rs',
  'memcpy_cold_us_1080p', 'memcpy_cold_vs_memcpy_1080p',
  'naive_us_per_frame_1080p', 'ours_onframe_us_per_frame_1080p',
  'reader_ts_us_1080p', 'reader_ts_memcpy_us_1080p', 'reader_ts_vs_alloc_copy_1080p', 'alloc_copy_us_1080p',
  'reader_py_us_1080p', 'reader_py_copy_us_1080p',
  'alloc_bytes_per_frame_onframe', 'alloc_bytes_per_frame_tap', 'alloc_control_bytes_per_frame_onframe',
  'alloc_control_bytes_per_frame_tap', 'alloc_scavenges_onframe', 'alloc_scavenges_tap', 'alloc_resolution_bytes_per_frame',
  'rss_on_shmem_mb', 'rss_on_anon_mb', 'rss_off_anon_mb', 'rss_on_file_mb', 'rss_off_file_mb',
];

function isStat(value: unknown): value is Stat {
  return typeof value === 'object' && value !== null && 'median' in value && 'n' in value;
}

export function evaluateGoals(results: Record<string, unknown>): GoalResult[] {
  const goals: GoalResult[] = [];
  const check = (key: string, stat: unknown, op: '<=' | '>=', value: number): void => {
    if (!isStat(stat) || stat.n === 0) {
      goals.push({ key, goal: `${op} ${value}`, median: null, met: null });
      return;
    }
    const met = op === '<=' ? stat.median <= value : stat.median >= value;
    goals.push({ key, goal: `${op} ${value}`, median: stat.median, met });
  };
  check('off_ratio', results.off_ratio, '<=', 1.02);
  check('on_vs_memcpy_1080p', results.on_vs_memcpy_1080p, '<=', 1.3);
  check('on_vs_memcpy_720p', results.on_vs_memcpy_720p, '<=', 1.3);
  check('naive_vs_ours_1080p', results.naive_vs_ours_1080p, '>=', 10);
  check('alloc_bytes_per_frame', results.alloc_bytes_per_frame, '<=', 0);
  for (const row of (results.scaling as ScalingRowJson[] | null) ?? []) {
    check(`scaling[${row.cameras}].frames_lost`, row.frames_lost, '<=', 0);
    check(`scaling[${row.cameras}].latency_p99_ms`, row.latency_p99_ms, '<=', 2);
  }
  return goals;
}

function cell(value: unknown): string {
  if (isStat(value)) return formatStat(value);
  if (value === null || value === undefined) return 'not measured';
  return String(value);
}

export function markdownTables(results: BenchResults): string {
  const goalOf = new Map(results.goals.map((goal) => [goal.key, goal]));
  const mark = (key: string): string => {
    const goal = goalOf.get(key);
    if (goal === undefined) return '';
    return `${goal.goal}: ${goal.met === null ? 'not measured' : goal.met ? 'met' : 'MISSED'}`;
  };
  const lines: string[] = [];
  lines.push('| key | median [min, max] | goal | what |', '|---|---|---|---|');
  for (const [key, what] of STABLE_KEYS) lines.push(`| \`${key}\` | ${cell(results[key])} | ${mark(key)} | ${what} |`);
  lines.push('', '| cameras | `cpu_pct_one_core` | `frames_lost` | `latency_p50_ms` | `latency_p99_ms` | latency max ms | tap share p99 ms | reader share p99 ms | fps per camera | frames seen by reader |',
    '|---:|---|---|---|---|---|---|---|---|---|');
  for (const row of results.scaling ?? []) {
    lines.push(`| ${row.cameras} | ${cell(row.cpu_pct_one_core)} | ${cell(row.frames_lost)} ${mark(`scaling[${row.cameras}].frames_lost`)} | ` +
      `${cell(row.latency_p50_ms)} | ${cell(row.latency_p99_ms)} ${mark(`scaling[${row.cameras}].latency_p99_ms`)} | ` +
      `${cell(row.latency_max_ms)} | ${cell(row.tap_share_p99_ms)} | ${cell(row.reader_share_p99_ms)} | ${cell(row.fps_per_camera)} | ${cell(row.frames_seen_fraction)} |`);
  }
  lines.push('', 'With the sleeping diagnostic reader (no process spinning):', '',
    '| cameras | publish latency p50 ms | publish latency p99 ms | publish latency max ms | `cpu_pct_one_core` | fps per camera |',
    '|---:|---|---|---|---|---|');
  for (const row of results.scaling ?? []) {
    lines.push(`| ${row.cameras} | ${cell(row.publish_latency_p50_ms)} | ${cell(row.publish_latency_p99_ms)} | ${cell(row.publish_latency_max_ms)} | ` +
      `${cell(row.cpu_pct_one_core_sleeping_reader)} | ${cell(row.fps_per_camera_sleeping_reader)} |`);
  }
  lines.push('', '| extra key | median [min, max] |', '|---|---|');
  for (const key of EXTRA_KEYS) if (key in results) lines.push(`| \`${key}\` | ${cell(results[key])} |`);
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
