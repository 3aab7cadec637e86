/**
 * Plots of a results file as plain SVG, written by hand (no plotting package):
 *   node dist/bench/plot-svg.js <results.json> <out dir>
 * Every point is a median with a whisker from min to max over the run's repetitions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchResults } from './report';
import type { Stat } from './lib/stats';

const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function isStat(value: unknown): value is Stat {
  return typeof value === 'object' && value !== null && 'median' in value && (value as Stat).n > 0;
}

function tickText(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** Axis ticks 1-2-5 per decade over [lo, hi] (log) or about 6 nice steps (linear). */
function ticks(lo: number, hi: number, log: boolean): number[] {
  const out: number[] = [];
  if (log) {
    for (let decade = Math.floor(Math.log10(lo)); decade <= Math.ceil(Math.log10(hi)); decade++) {
      for (const m of [1, 2, 5]) {
        const value = m * 10 ** decade;
        if (value >= lo * 0.999 && value <= hi * 1.001) out.push(value);
      }
    }
    return out;
  }
  const raw = (hi - lo) / 6;
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) ?? raw;
  for (let value = Math.ceil(lo / step) * step; value <= hi + 1e-9; value += step) out.push(Math.round(value / step) * step);
  return out;
}

interface DotRow {
  readonly label: string;
  readonly stat: Stat | null;
  /** A goal drawn as a red tick, with its wording. */
  readonly goal?: { readonly value: number; readonly text: string };
}

/** Horizontal dot plot: one row per figure, median dot, min-max whisker, optional goal tick. */
export function dotPlot(title: string, axisLabel: string, rows: readonly DotRow[], options: { log: boolean; reference?: number }): string {
  const width = 860;
  const labelWidth = 290;
  const valueWidth = 170;
  const rowHeight = 30;
  const top = 50;
  const plotWidth = width - labelWidth - valueWidth - 20;
  const height = top + rows.length * rowHeight + 66;
  const values = rows.flatMap((row) => [
    ...(row.stat !== null ? [row.stat.min, row.stat.max] : []), ...(row.goal !== undefined ? [row.goal.value] : []),
  ]).concat(options.reference !== undefined ? [options.reference] : []).filter((v) => Number.isFinite(v) && (!options.log || v > 0));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (options.log) {
    lo *= 0.8;
    hi *= 1.25;
  } else {
    const pad = (hi - lo) * 0.08 || 1;
    lo = Math.max(0, lo - pad);
    hi += pad;
  }
  const x = (value: number): number => labelWidth + (options.log
    ? ((Math.log10(value) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotWidth
    : ((value - lo) / (hi - lo)) * plotWidth);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  const bottom = top + rows.length * rowHeight;
  for (const tick of ticks(lo, hi, options.log)) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${bottom}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#444">${tickText(tick)}</text>`);
  }
  if (options.reference !== undefined) {
    const rx = x(options.reference);
    parts.push(`<line x1="${rx}" y1="${top - 6}" x2="${rx}" y2="${bottom}" stroke="#888" stroke-dasharray="4 3"/>`);
  }
  parts.push(`<text x="${labelWidth + plotWidth / 2}" y="${bottom + 36}" text-anchor="middle" fill="#222">${esc(axisLabel)}</text>`);
  parts.push(`<text x="${width - valueWidth + 6}" y="${top - 14}" fill="#444">median [min, max]</text>`);
  rows.forEach((row, index) => {
    const cy = top + index * rowHeight + rowHeight / 2;
    if (index % 2 === 0) parts.push(`<rect x="0" y="${cy - rowHeight / 2}" width="${width}" height="${rowHeight}" fill="#f7f7f7" opacity="0.6"/>`);
    parts.push(`<text x="${labelWidth - 10}" y="${cy + 4}" text-anchor="end">${esc(row.label)}</text>`);
    if (row.goal !== undefined) {
      const gx = x(row.goal.value);
      parts.push(`<line x1="${gx}" y1="${cy - 11}" x2="${gx}" y2="${cy + 11}" stroke="#d62728" stroke-width="2.5"><title>${esc(row.goal.text)}</title></line>`);
    }
    if (row.stat === null) {
      parts.push(`<text x="${labelWidth + 6}" y="${cy + 4}" fill="#888">not measured</text>`);
      return;
    }
    const { median, min, max } = row.stat;
    parts.push(`<line x1="${x(min)}" y1="${cy}" x2="${x(max)}" y2="${cy}" stroke="#1f77b4" stroke-width="2"/>`);
    parts.push(`<line x1="${x(min)}" y1="${cy - 5}" x2="${x(min)}" y2="${cy + 5}" stroke="#1f77b4" stroke-width="2"/>`);
    parts.push(`<line x1="${x(max)}" y1="${cy - 5}" x2="${x(max)}" y2="${cy + 5}" stroke="#1f77b4" stroke-width="2"/>`);
    parts.push(`<circle cx="${x(median)}" cy="${cy}" r="5" fill="#1f77b4"/>`);
    parts.push(`<text x="${width - valueWidth + 6}" y="${cy + 4}">${fmt(median)} [${fmt(min)}, ${fmt(max)}]</text>`);
  });
  parts.push(`<text x="10" y="${height - 8}" fill="#666" font-size="11">dot: median; whisker: min to max over repetitions; red tick: goal${options.reference !== undefined ? `; dashed: ${fmt(options.reference)}` : ''}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<{ readonly x: number; readonly stat: Stat }>;
}

/** Lines through medians with min-max whiskers, x = camera count. */
export function linePlot(title: string, xLabel: string, yLabel: string, series: readonly Series[],
  options: { logY: boolean; goal?: { value: number; text: string } }): string {
  const width = 760;
  const height = 380;
  const left = 70;
  const right = 250;
  const top = 44;
  const bottom = 60;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.stat.min, p.stat.max]))
    .concat(options.goal !== undefined ? [options.goal.value] : []).filter((v) => Number.isFinite(v) && (!options.logY || v > 0));
  let lo = options.logY ? Math.min(...ys) * 0.7 : 0;
  let hi = Math.max(...ys) * (options.logY ? 1.5 : 1.12);
  if (!(hi > lo)) {
    lo = 0;
    hi = 1;
  }
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xPos = (value: number): number => left + (xs.length === 1 ? plotW / 2 : (xs.indexOf(value) / (xs.length - 1)) * plotW);
  const yPos = (value: number): number => top + plotH - (options.logY
    ? ((Math.log10(value) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH
    : ((value - lo) / (hi - lo)) * plotH);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (const tick of ticks(lo, hi, options.logY)) {
    const ty = yPos(tick);
    parts.push(`<line x1="${left}" y1="${ty}" x2="${width - right}" y2="${ty}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${left - 8}" y="${ty + 4}" text-anchor="end" fill="#444">${tickText(tick)}</text>`);
  }
  for (const value of xs) {
    parts.push(`<text x="${xPos(value)}" y="${top + plotH + 18}" text-anchor="middle" fill="#444">${value}</text>`);
  }
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#444"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#444"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 26}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  if (options.goal !== undefined) {
    const gy = yPos(options.goal.value);
    parts.push(`<line x1="${left}" y1="${gy}" x2="${width - right}" y2="${gy}" stroke="#d62728" stroke-dasharray="6 4" stroke-width="1.5"/>`);
    parts.push(`<text x="${width - right - 4}" y="${gy - 5}" text-anchor="end" fill="#d62728">${esc(options.goal.text)}</text>`);
  }
  series.forEach((s, index) => {
    const points = s.points.filter((p) => Number.isFinite(p.stat.median) && (!options.logY || p.stat.median > 0));
    if (points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.map((p) => `${xPos(p.x)},${yPos(p.stat.median)}`).join(' ')}"/>`);
    }
    for (const p of points) {
      const px = xPos(p.x);
      if (!options.logY || p.stat.min > 0) {
        parts.push(`<line x1="${px}" y1="${yPos(p.stat.min)}" x2="${px}" y2="${yPos(p.stat.max)}" stroke="${s.color}" stroke-width="1.5"/>`);
      }
      parts.push(`<circle cx="${px}" cy="${yPos(p.stat.median)}" r="4" fill="${s.color}"><title>${esc(`${s.name}, ${p.x}: ${fmt(p.stat.median)} [${fmt(p.stat.min)}, ${fmt(p.stat.max)}]`)}</title></circle>`);
    }
    const ly = top + 8 + index * 18;
    const lx = width - right + 14;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${lx + 28}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push(`<text x="10" y="${height - 8}" fill="#666" font-size="11">dot: median; whisker: min to max over repetitions</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function stat(results: BenchResults, key: string): Stat | null {
  const value = results[key];
  return isStat(value) ? value : null;
}

export function writePlots(results: BenchResults, outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, svg: string): void => {
    fs.writeFileSync(path.join(outDir, name), svg);
    written.push(path.join(outDir, name));
  };
  const row = (label: string, key: string, goal?: number, op = '<='): DotRow =>
    ({ label, stat: stat(results, key), ...(goal !== undefined ? { goal: { value: goal, text: `goal ${op} ${goal}` } } : {}) });
  write('ratios.svg', dotPlot(`Ratios measured side by side (${results.profile} profile)`, 'ratio (log scale)', [
    row('export off: NOOP hook / no hook', 'off_ratio', 1.02),
    row('  null control: no hook / no hook', 'off_null_ratio'),
    row('tap / C floor, 1080p (koffi)', 'tap_vs_floor_1080p', 1.1),
    row('tap / C floor, 720p (koffi)', 'tap_vs_floor_720p', 1.1),
    row('tap / C floor, 1080p (ffi-rs)', 'tap_vs_floor_1080p_ffi_rs'),
    row('tap / C floor, 720p (ffi-rs)', 'tap_vs_floor_720p_ffi_rs'),
    row('Python peer / C floor, 1080p', 'peer_vs_floor_1080p'),
    row('Python peer / C floor, 720p', 'peer_vs_floor_720p'),
    row('FFmpeg export on / off, 1080p', 'ffmpeg_on_off_1080p', 1.03),
    row('FFmpeg export on / off, 720p', 'ffmpeg_on_off_720p', 1.03),
    row('FFmpeg on / off, 1080p source, 720p export', 'ffmpeg_on_off_1080p_to_720p'),
    row('stream-copy host, on / off, 1080p', 'ffmpeg_copy_host_on_off_1080p'),
  ], { log: true, reference: 1 }));
  const scaling1 = (results.scaling ?? []).find((entry) => entry.cameras === 1);
  write('frame-cost-1080p.svg', dotPlot('CPU per 1080p frame (3,110,400 bytes of NV12)', 'microseconds of CPU per frame (log scale)', [
    row('C floor: read(2) into the slot', 'floor_us_per_frame_1080p'),
    row('Python peer: readinto() into the slot', 'peer_us_per_frame_1080p'),
    row('tap host process, koffi', 'tap_us_per_frame_1080p'),
    row('tap host process, ffi-rs', 'tap_ffi_rs_us_per_frame_1080p'),
    { label: 'tap host process, 1 camera at 30 fps', stat: isStat(scaling1?.cpu_us_per_frame) ? scaling1.cpu_us_per_frame : null },
    { label: "VAS's FFmpeg, export off", stat: scaled(stat(results, 'ffmpeg_ms_per_frame_off_1080p'), 1000) },
    { label: "VAS's FFmpeg, export on", stat: scaled(stat(results, 'ffmpeg_ms_per_frame_on_1080p'), 1000) },
  ], { log: true }));
  const rows = results.scaling ?? [];
  if (rows.length > 0) {
    const series = (name: string, color: string, key: string): Series => ({
      name, color, points: rows.filter((entry) => isStat(entry[key])).map((entry) => ({ x: entry.cameras, stat: entry[key] as Stat })),
    });
    write('scaling-cpu.svg', linePlot('Host CPU with export on, cameras at 1080p30', 'cameras', 'host process CPU, % of one core',
      [series('host process (tap thread and all)', '#1f77b4', 'cpu_pct_one_core')], { logY: false }));
    write('scaling-latency.svg', linePlot('Producer write to tap commit (publish latency), 1080p30', 'cameras', 'ms (log scale)',
      [series('p50', '#2ca02c', 'publish_latency_p50_ms'), series('p99', '#ff7f0e', 'publish_latency_p99_ms'), series('max', '#9467bd', 'publish_latency_max_ms')],
      { logY: true, goal: { value: 2, text: 'p99 goal 2 ms' } }));
  }
  return written;
}

function scaled(value: Stat | null, factor: number): Stat | null {
  if (value === null) return null;
  const f = (x: number): number => x * factor;
  return { ...value, median: f(value.median), min: f(value.min), max: f(value.max), q1: f(value.q1), q3: f(value.q3), samples: value.samples.map(f) };
}

if (require.main === module) {
  const [file, outDir] = process.argv.slice(2);
  if (file === undefined || outDir === undefined) {
    process.stderr.write('usage: node dist/bench/plot-svg.js <results.json> <out dir>\n');
    process.exit(2);
  }
  for (const written of writePlots(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults, outDir)) process.stdout.write(`${written}\n`);
}
