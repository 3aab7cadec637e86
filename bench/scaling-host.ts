/**
 * One VAS-like host process for the scaling and memory items: the plugin loaded as VAS loads
 * it, N cameras whose "FFmpeg" is the synthetic feeder (bench/feeder.ts, 1080p30 per camera,
 * timer-driven), optionally the polling latency reader (bench/latency-reader.ts).
 *
 * Over the feeder's measured window it takes process.cpuUsage() of this process (every thread:
 * the idle main thread and the tap thread) and its RSS. Afterwards it counts frames: written
 * by the feeder vs frames_written in each meta once the tap has drained the pipes to EOF, and
 * joins the feeder's write stamps with the reader's sightings into latencies.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook } from '../plugin/index';
import { FrameReader } from '../src/index';
import { rssBreakdown } from './lib/cpu';
import { startFeeder } from './lib/fed-cameras';
import { BenchLogger, liveEnv, makeExportDir, runItem, sleep } from './lib/item';
import { percentile } from './lib/stats';

export interface ScalingHostParams {
  readonly cameras: number;
  readonly exportOn: boolean;
  readonly withReader: boolean;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** spin (default): the prescribed tight-loop reader. sleep: see bench/latency-reader.ts. */
  readonly readerMode?: 'spin' | 'sleep';
}

export interface ScalingHostResult {
  readonly cameras: number;
  readonly cpuPctOneCore: number;
  readonly windowMs: number;
  readonly framesWrittenByFeeder: number;
  readonly framesWrittenInMeta: number;
  readonly framesLost: number;
  readonly droppedTruncated: number;
  readonly feederLateFrames: number;
  readonly feederMaxLateMs: number;
  readonly fpsPerCamera: number;
  readonly latencySamples: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly tapShareP50Ms: number;
  readonly tapShareP99Ms: number;
  readonly tapShareMaxMs: number;
  readonly readerShareP50Ms: number;
  readonly readerShareP99Ms: number;
  readonly stampMismatches: number;
  readonly framesSeenFraction: number;
  readonly rssBytes: number;
  readonly rssAnonBytes: number;
  readonly rssFileBytes: number;
  readonly rssShmemBytes: number;
  readonly logErrors: readonly string[];
}

async function main(params: ScalingHostParams): Promise<ScalingHostResult> {
  const dir = makeExportDir(`scale${params.cameras}`);
  const ids = Array.from({ length: params.cameras }, (_, index) => `cam-${index + 1}`);
  const logger = new BenchLogger();
  const hook = params.exportOn
    ? loadDecodeBoundaryHook(liveEnv(dir, params.width, params.height), logger)
    : loadDecodeBoundaryHook({}, logger);
  const stampsFile = path.join(dir, '.feeder-stamps');
  const feeder = startFeeder(hook, ids, {
    mode: 'rate', width: params.width, height: params.height, fps: params.fps,
    warmupMs: params.warmupMs, windowMs: params.windowMs, out: stampsFile,
  });
  await feeder.next('ready');
  const metaReaders = params.exportOn ? ids.map((id) => FrameReader.open(id, { dir })) : [];

  const stopFile = path.join(dir, '.reader-stop');
  const readerOut = path.join(dir, '.reader-records');
  let readerExit: Promise<void> = Promise.resolve();
  if (params.withReader && params.exportOn) {
    const reader = spawn(process.execPath, [path.join(__dirname, 'latency-reader.js'), JSON.stringify({ mode: params.readerMode ?? 'spin', dir, cameraIds: ids, stopFile, out: readerOut })],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    readerExit = new Promise((resolve) => reader.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      reader.once('message', () => resolve());
      reader.once('exit', (code) => reject(new Error(`latency reader exited early (${code})`)));
    });
  }

  feeder.send({ type: 'go' });
  await feeder.next('window-start');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await feeder.next('window-end');
  const cpu = process.cpuUsage(cpu0);
  const t1 = process.hrtime.bigint();
  const rss = rssBreakdown();
  const done = await feeder.next('done');
  await feeder.exited;

  // The tap drains each pipe to its end; then frames_written is final.
  const written = done.written;
  const framesWrittenByFeeder = written.reduce((a, b) => a + b, 0);
  let framesWrittenInMeta = 0;
  let droppedTruncated = 0;
  if (params.exportOn) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const counts = metaReaders.map((reader) => reader.info()?.status);
      framesWrittenInMeta = counts.reduce((sum, status) => sum + Number(status?.framesWritten ?? 0), 0);
      droppedTruncated = counts.reduce((sum, status) => sum + Number(status?.droppedTruncated ?? 0), 0);
      if (framesWrittenInMeta + droppedTruncated >= framesWrittenByFeeder || Date.now() > deadline) break;
      await sleep(5);
    }
  }

  const latencies: number[] = [];
  /** Feeder write to the tap's commit (slot timestamp_ns), and commit to the reader's sighting. */
  const tapShares: number[] = [];
  const readerShares: number[] = [];
  let stampMismatches = 0;
  let windowFrames = 0;
  if (params.withReader && params.exportOn) {
    fs.writeFileSync(stopFile, '');
    await readerExit;
    const stamps = new Float64Array(new Uint8Array(fs.readFileSync(stampsFile)).buffer);
    const writeNs = new Map<number, number>();
    for (let index = 0; index + 2 < stamps.length; index += 3) {
      const ns = stamps[index + 2]!;
      if (ns >= Number(t0) && ns <= Number(t1)) {
        writeNs.set(stamps[index]! * 4294967296 + stamps[index + 1]!, ns);
        windowFrames++;
      }
    }
    const records = new Float64Array(new Uint8Array(fs.readFileSync(readerOut)).buffer);
    for (let index = 0; index + 4 < records.length; index += 5) {
      const camera = records[index]!;
      const id = records[index + 1]!;
      const stamp = records[index + 2]!;
      if (stamp !== id) {
        stampMismatches++;
        continue;
      }
      const wrote = writeNs.get(camera * 4294967296 + stamp);
      if (wrote === undefined) continue;
      const seen = records[index + 3]!;
      const committed = records[index + 4]!;
      latencies.push((seen - wrote) / 1e6);
      tapShares.push((committed - wrote) / 1e6);
      readerShares.push((seen - committed) / 1e6);
    }
  }

  for (const reader of metaReaders) reader.close();
  hook.close();
  const windowMs = Number(t1 - t0) / 1e6;
  return {
    cameras: params.cameras,
    cpuPctOneCore: ((cpu.user + cpu.system) / 1000 / windowMs) * 100,
    windowMs,
    framesWrittenByFeeder,
    framesWrittenInMeta,
    framesLost: params.exportOn ? framesWrittenByFeeder - framesWrittenInMeta : 0,
    droppedTruncated,
    feederLateFrames: done.lateFrames,
    feederMaxLateMs: done.maxLateMs,
    fpsPerCamera: params.cameras > 0 ? windowFrames / params.cameras / (windowMs / 1000) : 0,
    latencySamples: latencies.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    latencyMaxMs: latencies.length > 0 ? Math.max(...latencies) : NaN,
    tapShareP50Ms: percentile(tapShares, 50),
    tapShareP99Ms: percentile(tapShares, 99),
    tapShareMaxMs: tapShares.length > 0 ? Math.max(...tapShares) : NaN,
    readerShareP50Ms: percentile(readerShares, 50),
    readerShareP99Ms: percentile(readerShares, 99),
    stampMismatches,
    framesSeenFraction: windowFrames > 0 ? latencies.length / windowFrames : 0,
    rssBytes: rss.rss,
    rssAnonBytes: rss.anon,
    rssFileBytes: rss.file,
    rssShmemBytes: rss.shmem,
    logErrors: logger.lines.filter((line) => line.startsWith('error')),
  };
}

runItem(main);
