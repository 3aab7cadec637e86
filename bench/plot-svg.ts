/**
 * Plots of a results file as plain SVG dot plots (no plotting package): one row per figure, the
 * median as a dot, a whisker from min to max, the goal as a red tick.
 *   node dist/bench/plot-svg.js <results.json> <out dir>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchResults } from './report';
import type { Stat } from './lib/stats';

interface Row {
  readonly label: string;
  readonly stat: Stat | null;
  readonly goal?: number;
}

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (value: number): string => String(Number(value.toPrecision(Math.abs(value) >= 100 ? 4 : 3)));

function isStat(value: unknown): value is Stat {
  return typeof value === 'object' && value !== null && 'median' in value && (value as Stat).n > 0;
}

/** Log-scale ticks 1-2-5 per decade, or about six linear steps. */
function ticks(lo: number, hi: number, log: boolean): number[] {
  const out: number[] = [];
  if (log) {
    for (let decade = Math.floor(Math.log10(lo)); decade <= Math.ceil(Math.log10(hi)); decade++) {
      for (const m of [1, 2, 5]) if (m * 10 ** decade >= lo && m * 10 ** decade <= hi) out.push(m * 10 ** decade);
    }
    return out;
  }
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10((hi - lo) / 6))).find((s) => s >= (hi - lo) / 6)!;
  for (let value = Math.ceil(lo / step) * step; value <= hi; value += step) out.push(Number(value.toPrecision(6)));
  return out;
}

export function dotPlot(title: string, axis: string, rows: readonly Row[], log: boolean, reference?: number): string {
  const [width, labelWidth, valueWidth, rowHeight, top] = [920, 300, 210, 28, 48];
  const plotWidth = width - labelWidth - valueWidth - 20;
  const bottom = top + rows.length * rowHeight;
  const values = rows.flatMap((row) => [...(row.stat !== null ? [row.stat.min, row.stat.max] : []), ...(row.goal !== undefined ? [row.goal] : [])])
    .concat(reference ?? []).filter((v) => Number.isFinite(v) && (!log || v > 0));
  const [lo, hi] = log ? [Math.min(...values) * 0.8, Math.max(...values) * 1.25] : [0, Math.max(...values) * 1.1 || 1];
  const x = (v: number): number => labelWidth + plotWidth * (log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo));
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${bottom + 64}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${width - valueWidth + 6}" y="${top - 12}" fill="#444">median [min, max]</text>`];
  for (const tick of ticks(lo, hi, log)) {
    out.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${bottom}" stroke="#e4e4e4"/>`,
      `<text x="${x(tick)}" y="${bottom + 16}" text-anchor="middle" fill="#444">${fmt(tick)}</text>`);
  }
  if (reference !== undefined) out.push(`<line x1="${x(reference)}" y1="${top - 6}" x2="${x(reference)}" y2="${bottom}" stroke="#888" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${labelWidth + plotWidth / 2}" y="${bottom + 36}" text-anchor="middle">${esc(axis)}</text>`);
  rows.forEach((row, index) => {
    const cy = top + index * rowHeight + rowHeight / 2;
    if (index % 2 === 0) out.push(`<rect x="0" y="${cy - rowHeight / 2}" width="${width}" height="${rowHeight}" fill="#f4f4f4"/>`);
    out.push(`<text x="${labelWidth - 10}" y="${cy + 4}" text-anchor="end" xml:space="preserve">${esc(row.label)}</text>`);
    if (row.goal !== undefined) out.push(`<line x1="${x(row.goal)}" y1="${cy - 10}" x2="${x(row.goal)}" y2="${cy + 10}" stroke="#d62728" stroke-width="2.5"/>`);
    if (row.stat === null) {
      out.push(`<text x="${labelWidth + 6}" y="${cy + 4}" fill="#888">not measured</text>`);
      return;
    }
    const { median, min, max, unstable } = row.stat;
    out.push(`<line x1="${x(min)}" y1="${cy}" x2="${x(max)}" y2="${cy}" stroke="#1f77b4" stroke-width="2"/>`,
      `<line x1="${x(min)}" y1="${cy - 5}" x2="${x(min)}" y2="${cy + 5}" stroke="#1f77b4" stroke-width="2"/>`,
      `<line x1="${x(max)}" y1="${cy - 5}" x2="${x(max)}" y2="${cy + 5}" stroke="#1f77b4" stroke-width="2"/>`,
      `<circle cx="${x(median)}" cy="${cy}" r="5" fill="#1f77b4"/>`,
      `<text x="${width - valueWidth + 6}" y="${cy + 4}">${fmt(median)} [${fmt(min)}, ${fmt(max)}]${unstable ? ' unstable' : ''}</text>`);
  });
  out.push(`<text x="10" y="${bottom + 56}" fill="#666" font-size="11">dot: median; whisker: min to max over repetitions; red tick: goal${reference !== undefined ? `; dashed: ${reference}` : ''}</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

export function writePlots(results: BenchResults, outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, svg: string): void => {
    fs.writeFileSync(path.join(outDir, name), svg);
    written.push(path.join(outDir, name));
  };
  const stat = (key: string): Stat | null => (isStat(results[key]) ? results[key] as Stat : null);
  const row = (label: string, key: string, goal?: number): Row => ({ label, stat: stat(key), ...(goal !== undefined ? { goal } : {}) });
  const ms = (key: string): Stat | null => {
    const s = stat(key);
    return s === null ? null : { ...s, median: s.median * 1000, min: s.min * 1000, max: s.max * 1000 };
  };
  write('ratios.svg', dotPlot(`Ratios measured side by side (${results.profile} profile)`, 'ratio (log scale)', [
    row('export off: NOOP hook / no hook', 'off_ratio', 1.02),
    row('  null control: no hook / no hook', 'off_null_ratio'),
    row('tap process / C floor, 1080p (koffi)', 'tap_vs_floor_1080p', 1.1),
    row('tap process / C floor, 720p (koffi)', 'tap_vs_floor_720p', 1.1),
    row('  tap thread alone / C floor, 1080p', 'tap_thread_vs_floor_1080p'),
    row('  C poll pattern / C floor, 1080p', 'floor_poll_vs_floor_1080p'),
    row('tap process / C floor, 1080p (ffi-rs)', 'tap_vs_floor_1080p_ffi_rs'),
    row('Python peer / C floor, 1080p', 'peer_vs_floor_1080p'),
    row('Python peer / C floor, 720p', 'peer_vs_floor_720p'),
    row("VAS's FFmpeg, export on / off, 1080p", 'ffmpeg_on_off_1080p', 1.03),
    row("VAS's FFmpeg, export on / off, 720p", 'ffmpeg_on_off_720p', 1.03),
    row('  1080p camera, default 720p export', 'ffmpeg_on_off_1080p_to_720p'),
    row('stream-copy host, on / off, 1080p', 'ffmpeg_copy_host_on_off_1080p'),
  ], true, 1));
  write('frame-cost-1080p.svg', dotPlot('CPU per 1080p frame at 30 fps (3,110,400 bytes of NV12)', 'microseconds of CPU per frame (log scale)', [
    row('C floor: read(2) into the slot', 'floor_us_per_frame_1080p'),
    row('C, the tap\'s poll(2) pattern', 'floor_poll_us_per_frame_1080p'),
    row('Python peer: readinto() into the slot', 'peer_us_per_frame_1080p'),
    row('tap thread alone, koffi', 'tap_thread_us_per_frame_1080p'),
    row('tap host process, koffi', 'tap_us_per_frame_1080p'),
    row('tap host process, ffi-rs', 'tap_ffi_rs_us_per_frame_1080p'),
    { label: "VAS's FFmpeg, export off", stat: ms('ffmpeg_ms_per_frame_off_1080p') },
    { label: "VAS's FFmpeg, export on", stat: ms('ffmpeg_ms_per_frame_on_1080p') },
  ], true));
  const rows = results.scaling ?? [];
  const scaling = (key: string): Row[] => rows.map((entry) => ({ label: `${entry.cameras} camera${entry.cameras > 1 ? 's' : ''}`, stat: isStat(entry[key]) ? entry[key] as Stat : null }));
  if (rows.length > 0) {
    write('scaling-cpu.svg', dotPlot('Host process CPU with export on, cameras at 1080p30', '% of one core', scaling('cpu_pct_one_core'), false));
    write('scaling-latency.svg', dotPlot('Publish latency p99: producer write of the last byte to the tap\'s commit', 'ms (log scale)',
      scaling('publish_latency_p99_ms').map((entry) => ({ ...entry, goal: 2 })), true));
  }
  return written;
}

if (require.main === module) {
  const [file, outDir] = process.argv.slice(2);
  if (file === undefined || outDir === undefined) {
    process.stderr.write('usage: node dist/bench/plot-svg.js <results.json> <out dir>\n');
    process.exit(2);
  }
  for (const written of writePlots(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults, outDir)) process.stdout.write(`${written}\n`);
}
