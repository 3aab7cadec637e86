/**
 * Soak: cameras through the live hook for a long time, restarted regularly, watching for
 * leaks of memory, file descriptors and files.
 *
 *   npm run soak -- [--minutes 10] [--seconds S] [--restart-seconds 60] [--sample-seconds 10]
 *                   [--cameras 2] [--source ffmpeg|synthetic] [--width 640] [--height 360]
 *                   [--fps 30] [--dir /dev/shm/...] [--keep]
 *
 * Source "ffmpeg" (the default when ffmpeg is on PATH) runs one
 *   ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=WxH:rate=FPS <tap args>
 * per camera, wired exactly as VAS does it: hook.ffmpegOutput(camera, 3) for the extra output
 * and its stdio, spawn, hook.onProcessSpawned. Frames then go FFmpeg -> pipe -> tap thread ->
 * ring, never through this event loop. Source "synthetic" calls onStreamStart/onFrame on a timer.
 *
 * Each camera is stopped and started again every --restart-seconds (cameras staggered). A
 * FrameReader per camera, in this process, polls the export (10 Hz) and follows every restart.
 * Every --sample-seconds, after a full garbage collection: RSS (and its anonymous and shared
 * memory parts), heap, open fds (/proc/self/fd) and entries under the export dir.
 *
 * At the end every camera is stopped, the readers closed, the hook closed, and a final sample is
 * taken once the tap thread is gone. Prints one JSON summary on stdout (progress goes to
 * stderr) with baseline/first/last/max/final of each series and a verdict: "flat" if RSS grew by
 * less than 10 MB from the middle third of the running samples to the last (medians: single
 * samples move by several MB with GC and ring pages; a leak keeps growing, while a one-time step
 * of the C allocator does not) and the fds and files are back to their baseline after the stop,
 * else "growing". growthMB (first third to last) is reported too. Exit 0 when flat, 1 otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../../plugin/index';
import type { Logger } from '../../src/log/logger';
import { nv12FrameSize } from '../../src/layout/frame-export-layout';
import { FrameReader } from '../../src/reader/frame-reader';

interface Options {
  seconds: number;
  restartSeconds: number;
  sampleSeconds: number;
  cameras: number;
  source: 'ffmpeg' | 'synthetic';
  width: number;
  height: number;
  fps: number;
  dir: string | null;
  keep: boolean;
}

interface Sample {
  readonly t: number;
  readonly rss: number;
  /** RssAnon and RssShmem of /proc/self/status: private memory, and mapped tmpfs pages (the rings). */
  readonly rssAnon: number;
  readonly rssShmem: number;
  readonly heapUsed: number;
  readonly fds: number;
  readonly files: number;
}

export interface Series {
  baseline: number;
  first: number;
  last: number;
  max: number;
  final: number;
}

const RSS_GROWTH_LIMIT_BYTES = 10 * 1024 * 1024;

/**
 * A full garbage collection before each sample, so a sample measures live memory rather than
 * where V8 happens to be in its cycle (the readers' frame copies are off-heap ArrayBuffers that
 * pile up between collections). Works under plain `node` (npm run soak), without --expose-gc.
 */
function fullGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function ffmpegAvailable(): boolean {
  const probe = spawnSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    seconds: 600, restartSeconds: 60, sampleSeconds: 10, cameras: 2, source: ffmpegAvailable() ? 'ffmpeg' : 'synthetic',
    width: 640, height: 360, fps: 30, dir: null, keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const number = (): number => {
      const text = value();
      const parsed = Number(text);
      if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} ${text}: expected a positive number`);
      return parsed;
    };
    switch (flag) {
      case '--minutes': options.seconds = number() * 60; break;
      case '--seconds': options.seconds = number(); break;
      case '--restart-seconds': options.restartSeconds = number(); break;
      case '--sample-seconds': options.sampleSeconds = number(); break;
      case '--cameras': options.cameras = Math.floor(number()); break;
      case '--width': options.width = number(); break;
      case '--height': options.height = number(); break;
      case '--fps': options.fps = number(); break;
      case '--dir': options.dir = value(); break;
      case '--keep': options.keep = true; break;
      case '--source': {
        const source = value();
        if (source !== 'ffmpeg' && source !== 'synthetic') throw new Error(`--source ${source}: expected ffmpeg or synthetic`);
        options.source = source;
        break;
      }
      default:
        throw new Error(`unknown option ${flag} (see the header of test/hardening/soak.ts)`);
    }
  }
  return options;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function progress(message: string): void {
  process.stderr.write(`[soak] ${message}\n`);
}

/** A field of /proc/self/status in bytes (reported in kB), 0 if absent. */
function statusBytes(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? 0 : sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Growth of a noisy series between two of its thirds, by their medians (RSS moves by several MB
 * from sample to sample with GC and with ring pages faulting in). `from` 0: first third against
 * last; `from` 1: middle third against last, which tells a leak (still growing) from a one-time
 * step such as the C allocator raising its mmap threshold and keeping freed frame copies.
 */
function growth(values: number[], from = 0): number {
  if (values.length < 3) return 0;
  const third = Math.floor(values.length / 3);
  return median(values.slice(-third)) - median(values.slice(from * third, (from + 1) * third));
}

/** Open descriptors of this process (the listing's own descriptor included, consistently). */
function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** What each open descriptor points to (readlink of /proc/self/fd/N), by number. */
function fdTargets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the listing's own descriptor, closed by now
    }
  }
  return out;
}

/** Entries (files and directories) under `dir`, recursively; 0 if it does not exist. */
function countEntries(dir: string): number {
  let count = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    count++;
    const full = path.join(dir, name);
    if (fs.lstatSync(full).isDirectory()) count += countEntries(full);
  }
  return count;
}

class CountingLogger implements Logger {
  readonly counts = { info: 0, warn: 0, error: 0 };
  readonly errors: string[] = [];

  info(message: string): void {
    this.counts.info++;
    void message;
  }

  warn(message: string): void {
    this.counts.warn++;
    progress(`hook warning: ${message}`);
  }

  error(message: string): void {
    this.counts.error++;
    if (this.errors.length < 10) this.errors.push(message);
    progress(`hook error: ${message}`);
  }
}

/** One camera: its frame source, its restarts, and a reader following its export. */
class SoakCamera {
  starts = 0;
  framesWritten = 0;
  framesRead = 0;
  private generationFrames = 0;
  private generation: bigint | null = null;
  private lastRead = '';
  private ffmpeg: ChildProcess | null = null;
  private pump: NodeJS.Timeout | null = null;
  private readonly reader: FrameReader;
  private readonly frame: Uint8Array;

  constructor(readonly id: string, private readonly hook: DecodeBoundaryHook, private readonly options: Options, dir: string) {
    this.reader = FrameReader.open(id, { dir });
    this.frame = new Uint8Array(nv12FrameSize(options.width, options.height)).fill(128);
  }

  start(): void {
    this.starts++;
    if (this.options.source === 'synthetic') {
      this.hook.onStreamStart(this.id, { width: this.options.width, height: this.options.height });
      let counter = 0;
      this.pump = setInterval(() => {
        this.frame[0] = counter++ & 0xff;
        this.hook.onFrame(this.id, this.frame);
      }, 1000 / this.options.fps);
      return;
    }
    const { width, height, fps } = this.options;
    const tap = this.hook.ffmpegOutput(this.id, 3);
    if (tap.args.length === 0) throw new Error(`camera ${this.id}: the hook gave no tap output (see the log)`);
    const child = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
      ...tap.args,
    ], { stdio: ['ignore', 'ignore', 'inherit', ...tap.stdio] });
    this.hook.onProcessSpawned(this.id, child);
    this.ffmpeg = child;
  }

  /** FFmpeg first (as when a camera's FFmpeg ends), then the stream stop, as VAS does. */
  async stop(): Promise<void> {
    if (this.pump !== null) clearInterval(this.pump);
    this.pump = null;
    const child = this.ffmpeg;
    this.ffmpeg = null;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    this.hook.onStreamStop(this.id);
  }

  /** Reads the latest frame and the counters; follows restarts. */
  poll(): void {
    const frame = this.reader.latest();
    if (frame !== null) {
      const key = `${frame.meta.generation}:${frame.meta.frameId}`;
      if (key !== this.lastRead) this.framesRead++;
      this.lastRead = key;
    }
    const info = this.reader.info();
    if (info === null) return;
    if (info.header.generation !== this.generation) {
      this.framesWritten += this.generationFrames;
      this.generationFrames = 0;
      this.generation = info.header.generation;
    }
    this.generationFrames = Math.max(this.generationFrames, info.status.framesWritten);
  }

  get totalFramesWritten(): number {
    return this.framesWritten + this.generationFrames;
  }

  close(): void {
    this.reader.close();
  }
}

function series(baseline: number, running: number[], final: number): Series {
  return {
    baseline,
    first: running[0] ?? baseline,
    last: running[running.length - 1] ?? baseline,
    max: Math.max(baseline, ...running),
    final,
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const parent = options.dir ?? fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'vas-soak-'));
  const exportDir = path.join(parent, 'export');
  const logger = new CountingLogger();
  const hook = loadDecodeBoundaryHook({
    AI_FRAME_EXPORT_ENABLED: 'true',
    AI_FRAME_EXPORT_DIR: exportDir,
    AI_FRAME_WIDTH: String(options.width),
    AI_FRAME_HEIGHT: String(options.height),
    AI_FRAME_BUFFER_CAPACITY: '4',
  }, logger);

  // Warm up what Node and libuv create once per process, so the baseline is what the process
  // holds before any camera: the child-process signal pipe (first spawn) and the reserve
  // descriptor on /dev/null that libuv opens with the first stream (process.stdout/stderr
  // when they are pipes).
  await new Promise<void>((resolve) => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).once('exit', () => resolve()));
  void process.stdout.writable;
  void process.stderr.writable;

  const gc = fullGc();
  const take = (t: number): Sample => {
    gc();
    const memory = process.memoryUsage();
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    return {
      t, rss: memory.rss, rssAnon: statusBytes(status, 'RssAnon'), rssShmem: statusBytes(status, 'RssShmem'),
      heapUsed: memory.heapUsed, fds: openFds(), files: countEntries(exportDir),
    };
  };
  const baseline = take(0);
  const baselineFds = fdTargets();
  progress(`${options.cameras} cameras, source ${options.source}, ${options.width}x${options.height} at ${options.fps} fps, ` +
    `${options.seconds} s, restart every ${options.restartSeconds} s, sample every ${options.sampleSeconds} s, export dir ${exportDir}`);

  const cameras: SoakCamera[] = [];
  for (let i = 1; i <= options.cameras; i++) cameras.push(new SoakCamera(`soak-cam-${i}`, hook, options, exportDir));
  for (const camera of cameras) camera.start();
  const pollTimer = setInterval(() => {
    for (const camera of cameras) camera.poll();
  }, 100);

  const startedAt = performance.now();
  const elapsed = (): number => (performance.now() - startedAt) / 1000;
  const samples: Sample[] = [];
  const nextRestart = cameras.map((_, index) => options.restartSeconds * (1 + index / cameras.length));
  let nextSample = options.sampleSeconds;
  let restarts = 0;
  let lastRestartAt = -Infinity;
  while (elapsed() < options.seconds) {
    const now = elapsed();
    for (const [index, camera] of cameras.entries()) {
      if (now >= nextRestart[index]! && now < options.seconds - 1) {
        await camera.stop();
        camera.start();
        restarts++;
        lastRestartAt = elapsed();
        nextRestart[index]! += options.restartSeconds;
      }
    }
    // Not within a second of a restart: the tap thread and the readers let go of the old
    // generation's pipe and mappings asynchronously, which would show as a transient fd.
    if (now >= nextSample && now - lastRestartAt >= 1) {
      const sample = take(Math.round(now));
      samples.push(sample);
      nextSample += options.sampleSeconds;
      progress(`t=${sample.t}s rss=${(sample.rss / 1048576).toFixed(1)}MB (anon ${(sample.rssAnon / 1048576).toFixed(1)}, ` +
        `shmem ${(sample.rssShmem / 1048576).toFixed(1)}) heap=${(sample.heapUsed / 1048576).toFixed(1)}MB ` +
        `fds=${sample.fds} files=${sample.files} frames=${cameras.map((c) => c.totalFramesWritten).join('/')}`);
    }
    await sleep(50);
  }

  for (const camera of cameras) await camera.stop();
  clearInterval(pollTimer);
  for (const camera of cameras) camera.poll();
  for (const camera of cameras) camera.close();
  hook.close();
  // The tap thread exits asynchronously after close(): wait for its descriptors to go.
  const settleUntil = performance.now() + 5000;
  while (performance.now() < settleUntil && openFds() > baseline.fds) await sleep(50);
  await sleep(200);
  const final = take(Math.round(elapsed()));
  const leftOverFds = [...fdTargets()].filter(([fd, target]) => baselineFds.get(fd) !== target).map(([fd, target]) => `${fd} -> ${target}`);

  const rss = series(baseline.rss, samples.map((s) => s.rss), final.rss);
  const fds = series(baseline.fds, samples.map((s) => s.fds), final.fds);
  const files = series(baseline.files, samples.map((s) => s.files), final.files);
  const rssGrowth = growth(samples.map((s) => s.rss));
  const rssLateGrowth = growth(samples.map((s) => s.rss), 1);
  const reasons: string[] = [];
  if (rssLateGrowth >= RSS_GROWTH_LIMIT_BYTES) {
    reasons.push(`RSS still grew ${(rssLateGrowth / 1048576).toFixed(1)} MB from the middle third of the samples to the last (medians)`);
  }
  if (fds.final !== fds.baseline) reasons.push(`open fds ${fds.final} after the stop, ${fds.baseline} before the start`);
  if (files.final !== files.baseline) reasons.push(`${files.final} entries under the export dir after the stop, ${files.baseline} before the start`);
  const verdict = reasons.length === 0 ? 'flat' : 'growing';

  const summary = {
    profile: { ...options, dir: exportDir },
    durationSeconds: Math.round(elapsed()),
    restarts,
    cameras: cameras.map((camera) => ({
      id: camera.id, starts: camera.starts, framesWritten: camera.totalFramesWritten, framesRead: camera.framesRead,
    })),
    log: { ...logger.counts, errors: logger.errors },
    rss: { ...rss, growthMB: Number((rssGrowth / 1048576).toFixed(2)), lateGrowthMB: Number((rssLateGrowth / 1048576).toFixed(2)) },
    rssAnon: { ...series(baseline.rssAnon, samples.map((s) => s.rssAnon), final.rssAnon),
      growthMB: Number((growth(samples.map((s) => s.rssAnon)) / 1048576).toFixed(2)) },
    rssShmem: series(baseline.rssShmem, samples.map((s) => s.rssShmem), final.rssShmem),
    heapUsed: series(baseline.heapUsed, samples.map((s) => s.heapUsed), final.heapUsed),
    fds: { ...fds, leftOver: leftOverFds },
    files,
    samples,
    verdict,
    reasons,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (options.dir === null && !options.keep) fs.rmSync(parent, { recursive: true, force: true });
  return verdict === 'flat' ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
}, (error: unknown) => {
  progress(`failed: ${(error as Error)?.stack ?? String(error)}`);
  process.exitCode = 2;
});
