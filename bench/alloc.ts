/**
 * alloc_bytes_per_frame: heap bytes per frame on the tap thread, an upper bound from scavenges
 * with a 1 MiB semi-space, with a positive control. Each measurement is this file run as a
 * child with {child}. Method: docs/benchmarks.md, "How each figure is measured", 5.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BenchLogger, liveEnv, makeExportDir, progress, runChild, runItem, sleep, waitFor } from './lib/item';
import { buildPipeBench, ProducerControl } from './lib/native';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';

/** Small frames: the per-frame code does not depend on the size; 100k 1080p frames would take minutes. */
const WIDTH = 320;
const HEIGHT = 180;
const WARMUP = 10_000;
const SCAVENGES = new Set(['Scavenge', 'MinorMarkCompact', 'MinorMarkSweep']);

interface ChildParams {
  readonly child: true;
  readonly frames: number;
  readonly control: boolean;
}

async function child(params: ChildParams): Promise<number> {
  const dir = makeExportDir('alloc');
  process.env.BENCH_ALLOC_OUT = path.join(dir, '.gc-profile.json');
  process.env.BENCH_ALLOC_CONTROL = params.control ? '1' : '';
  // The real module object (an `import *` namespace would be a read-only copy).
  const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');
  const Original = workerThreads.Worker;
  (workerThreads as { Worker: typeof Original }).Worker = class extends Original {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      super(String(filename).endsWith(`${path.sep}tap-worker.js`) ? path.join(__dirname, 'alloc-tap-worker.js') : filename, options);
    }
  };
  // Loaded only now, after the redirect.
  const { loadDecodeBoundaryHook } = require('../plugin/index') as typeof import('../plugin/index');
  const { FrameReader } = require('../src/index') as typeof import('../src/index');
  const hook = loadDecodeBoundaryHook(liveEnv(dir, WIDTH, HEIGHT), new BenchLogger());
  const tap = hook.ffmpegOutput('cam', 3);
  const producer = spawn(buildPipeBench(), ['feed', String(WIDTH * HEIGHT * 1.5), '-', '3'], { stdio: ['pipe', 'pipe', 'inherit', ...tap.stdio] });
  hook.onProcessSpawned('cam', producer);
  const control = new ProducerControl(producer.stdin!, producer.stdout!);
  const reader = FrameReader.open('cam', { dir });
  await control.burst(params.frames);
  control.end();
  await waitFor(() => reader.latestFrameId() >= params.frames, `tap to commit ${params.frames} frames`, 30_000, 5);
  reader.close();
  hook.close();
  await waitFor(() => fs.existsSync(process.env.BENCH_ALLOC_OUT!), 'the tap worker GC profile', 30_000, 5);
  await sleep(20);
  const profile = JSON.parse(fs.readFileSync(process.env.BENCH_ALLOC_OUT!, 'utf8')) as { gcTypes: string[]; kept: boolean };
  if (params.control && !profile.kept) throw new Error('control allocation missing in the tap worker');
  return profile.gcTypes.filter((type) => SCAVENGES.has(type)).length;
}

async function main(params: { profile: Profile } | ChildParams): Promise<Record<string, Stat> | number> {
  if ('child' in params) return child(params);
  const frames = params.profile.allocFrames;
  const series: Record<string, number[]> = { tap: [], control: [], scavenges: [] };
  const scavenges = (count: number, control: boolean): Promise<number> => runChild<number>(__filename, { child: true, frames: count, control },
    { execArgv: ['--max-semi-space-size=1'], timeoutMs: 300_000 });
  for (let rep = 0; rep < params.profile.allocReps; rep++) {
    for (const control of [false, true]) {
      progress(`alloc: tap${control ? ' control' : ''}, run ${rep + 1}/${params.profile.allocReps}`);
      const count = Math.max(0, (await scavenges(WARMUP + frames, control)) - (await scavenges(WARMUP, control)));
      series[control ? 'control' : 'tap']!.push(count * 1024 * 1024 / frames);
      if (!control) series.scavenges!.push(count);
    }
  }
  return {
    alloc_bytes_per_frame: summarize(series.tap!),
    alloc_control_bytes_per_frame: summarize(series.control!),
    alloc_scavenges: summarize(series.scavenges!),
    alloc_resolution_bytes_per_frame: summarize([1024 * 1024 / frames]),
  };
}

runItem(main);
