/**
 * Item 6, one measurement, run as `node --max-semi-space-size=1 alloc-child.js '<params>'`.
 * With a 1 MiB semi-space a scavenge runs at the latest after every 1 MiB allocated in the
 * young generation, so `scavenges * 1 MiB / frames` bounds the bytes allocated per frame from
 * above. GCs are recorded with v8.GCProfiler on the isolate that runs the path:
 *  - onframe: the main thread calling hook.onFrame (window: `frames` calls after a warm-up);
 *  - tap: the tap thread (its Worker is redirected to bench/alloc-tap-worker, which profiles
 *    the real tap worker over its whole life; the caller subtracts a short run from a long
 *    one to get the frames' share).
 * `control` adds a known allocation per frame (a 126-element array, about 1 KiB) to the path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { BenchLogger, liveEnv, makeExportDir, patternFrame, runItem, sleep, waitFor } from './lib/item';

export interface AllocChildParams {
  readonly path: 'onframe' | 'tap';
  readonly frames: number;
  readonly warmupFrames: number;
  readonly control: boolean;
  readonly width: number;
  readonly height: number;
}

export interface AllocChildResult {
  readonly scavenges: number;
  readonly gcs: number;
  readonly frames: number;
  readonly semiSpaceBytes: number;
}

const SCAVENGE_TYPES = new Set(['Scavenge', 'MinorMarkCompact', 'MinorMarkSweep']);
let keep: unknown = null;

function semiSpaceBytes(): number {
  const flag = process.execArgv.find((arg) => arg.startsWith('--max-semi-space-size='));
  if (flag === undefined) throw new Error('run with --max-semi-space-size=1');
  return Number(flag.split('=')[1]) * 1024 * 1024;
}

async function onFramePath(params: AllocChildParams): Promise<AllocChildResult> {
  // Loaded only here: the tap path must install its Worker redirect before the plugin loads.
  const { loadDecodeBoundaryHook } = require('../plugin/index') as typeof import('../plugin/index');
  const hook = loadDecodeBoundaryHook(liveEnv(makeExportDir('alloc'), params.width, params.height), new BenchLogger());
  hook.onStreamStart('cam', { width: params.width, height: params.height });
  const frame = patternFrame(params.width * params.height * 3 / 2, 3);
  const run = (count: number): void => {
    if (params.control) {
      for (let index = 0; index < count; index++) {
        keep = new Array(126);
        hook.onFrame('cam', frame);
      }
    } else {
      for (let index = 0; index < count; index++) hook.onFrame('cam', frame);
    }
  };
  run(params.warmupFrames);
  const profiler = new v8.GCProfiler();
  profiler.start();
  run(params.frames);
  const gcTypes = profiler.stop().statistics.map((entry) => entry.gcType);
  hook.close();
  if (params.control && keep === null) throw new Error('control allocation missing');
  return {
    scavenges: gcTypes.filter((type) => SCAVENGE_TYPES.has(type)).length,
    gcs: gcTypes.length,
    frames: params.frames,
    semiSpaceBytes: semiSpaceBytes(),
  };
}

async function tapPath(params: AllocChildParams): Promise<AllocChildResult> {
  const dir = makeExportDir('alloc-tap');
  const out = path.join(dir, '.gc-profile.json');
  process.env.BENCH_ALLOC_OUT = out;
  process.env.BENCH_ALLOC_CONTROL = params.control ? '1' : '';
  // The hook starts its tap thread with new Worker(<dist>/src/tap/tap-worker.js): send that
  // one to the profiling wrapper instead (same workerData, same options).
  // The real module object (an `import *` namespace would be a read-only copy).
  const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');
  const Original = workerThreads.Worker;
  class RedirectedWorker extends Original {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      const target = String(filename).endsWith(`${path.sep}tap-worker.js`) ? path.join(__dirname, 'alloc-tap-worker.js') : filename;
      super(target, options);
    }
  }
  (workerThreads as { Worker: typeof Original }).Worker = RedirectedWorker;
  const { loadDecodeBoundaryHook } = require('../plugin/index') as typeof import('../plugin/index');
  const { FrameReader } = require('../src/index') as typeof import('../src/index');
  const { startFeeder } = require('./lib/fed-cameras') as typeof import('./lib/fed-cameras');
  const hook = loadDecodeBoundaryHook(liveEnv(dir, params.width, params.height), new BenchLogger());
  const total = params.warmupFrames + params.frames;
  const feeder = startFeeder(hook, ['cam'], { mode: 'count', width: params.width, height: params.height, frames: total });
  const reader = FrameReader.open('cam', { dir });
  const done = await feeder.next('done', 300_000);
  await feeder.exited;
  if (done.written[0] !== total) throw new Error(`feeder wrote ${done.written[0]} frames, expected ${total}`);
  await waitFor(() => reader.latestFrameId() >= total, `tap to commit ${total} frames`, 30_000, 5);
  reader.close();
  hook.close();
  await waitFor(() => fs.existsSync(out), 'the tap worker GC profile', 30_000, 5);
  await sleep(20);
  const profile = JSON.parse(fs.readFileSync(out, 'utf8')) as { gcTypes: string[]; kept: boolean };
  if (params.control && !profile.kept) throw new Error('control allocation missing in the tap worker');
  return {
    scavenges: profile.gcTypes.filter((type) => SCAVENGE_TYPES.has(type)).length,
    gcs: profile.gcTypes.length,
    frames: total,
    semiSpaceBytes: semiSpaceBytes(),
  };
}

runItem((params: AllocChildParams) => (params.path === 'onframe' ? onFramePath(params) : tapPath(params)));
