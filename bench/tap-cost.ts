/**
 * Item 2: CPU per exported frame on the real tap path (feeder -> pipe -> tap thread read(2)
 * straight into the shared slot -> committed and published), divided by one plain memcpy
 * (Buffer.copy, heap to heap) of the same bytes, measured in the same process and run.
 *
 * The tap thread's CPU is read from its own per-thread CPU clock (clock_gettime on the
 * thread's clockid, equal to /proc/self/task/<tid>/schedstat's run time), which counts user
 * and kernel time of that thread alone: poll(2), read(2) (the kernel's copy from the pipe into
 * the slot), page faults, and the JS around them. The thread is the one task that appears in
 * /proc/self/task when the hook starts its tap (checked: it is the task that burns CPU while
 * frames flow). The feeder's own cost (writing into the pipe) is not counted: in VAS that is
 * FFmpeg's output write.
 *
 * Variants (geometry x libc binding) run side by side in one process, each with its own hook,
 * tap thread and feeder, interleaved sample by sample with the memcpy reference.
 */
import type { DecodeBoundaryHook } from '../plugin/index';
import { loadDecodeBoundaryHook } from '../plugin/index';
import { FrameReader } from '../src/index';
import { taskCpuNs, taskIds, taskReadSyscalls, threadCpuNs } from './lib/cpu';
import { startFeeder, type FeederHandle } from './lib/fed-cameras';
import { BenchLogger, GEOMETRY, liveEnv, makeExportDir, progress, runItem, waitFor } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';

interface Variant {
  readonly key: string;
  readonly geometry: keyof typeof GEOMETRY;
  readonly ffi: 'koffi' | 'ffi-rs';
  hook: DecodeBoundaryHook;
  feeder: FeederHandle;
  reader: FrameReader;
  tapTid: number;
  sent: number;
  readonly src: Buffer;
  readonly dst: Buffer;
  readonly tapNs: number[];
  readonly memcpyNs: number[];
  readonly ratios: number[];
  readonly readsPerFrame: number[];
}

async function burst(variant: Variant, frames: number): Promise<void> {
  variant.feeder.send({ type: 'burst', frames });
  variant.sent += frames;
  await variant.feeder.next('burst-done');
  const target = variant.sent;
  await waitFor(() => variant.reader.latestFrameId() >= target, `${variant.key}: tap to commit frame ${target}`);
}

async function setup(key: string, geometry: keyof typeof GEOMETRY, ffi: 'koffi' | 'ffi-rs'): Promise<Variant> {
  const { width, height } = GEOMETRY[geometry];
  const dir = makeExportDir(`tap-${key}`);
  const before = new Set(taskIds());
  const hook = loadDecodeBoundaryHook(liveEnv(dir, width, height, ffi), new BenchLogger());
  const feeder = startFeeder(hook, ['cam'], { mode: 'burst', width, height });
  await feeder.next('ready');
  const reader = FrameReader.open('cam', { dir });
  const frameSize = width * height * 3 / 2;
  const src = Buffer.alloc(frameSize, 7);
  const dst = Buffer.alloc(frameSize);
  const variant: Variant = {
    key, geometry, ffi, hook, feeder, reader, tapTid: 0, sent: 0, src, dst, tapNs: [], memcpyNs: [], ratios: [], readsPerFrame: [],
  };
  // Find the tap thread: of the tasks created since, the one that runs while frames flow.
  const candidates = taskIds().filter((tid) => !before.has(tid));
  if (candidates.length === 0) throw new Error(`${key}: no new thread appeared for the tap`);
  const cpuBefore = candidates.map((tid) => taskCpuNs(tid));
  await burst(variant, 8);
  const used = candidates.map((tid, index) => taskCpuNs(tid) - cpuBefore[index]!);
  variant.tapTid = candidates[used.indexOf(Math.max(...used))]!;
  // Warm-up: every slot page faulted in, the tap thread's code optimized.
  await burst(variant, 24);
  for (let copy = 0; copy < 8; copy++) src.copy(dst);
  return variant;
}

async function tapSample(variant: Variant, frames: number): Promise<number> {
  const reads = taskReadSyscalls(variant.tapTid);
  const start = taskCpuNs(variant.tapTid);
  await burst(variant, frames);
  const cpu = taskCpuNs(variant.tapTid) - start;
  variant.readsPerFrame.push((taskReadSyscalls(variant.tapTid) - reads) / frames);
  return cpu / frames;
}

function memcpySample(variant: Variant, copies: number): number {
  const { src, dst } = variant;
  const start = threadCpuNs();
  for (let copy = 0; copy < copies; copy++) src.copy(dst, 0, 0, src.length);
  return (threadCpuNs() - start) / copies;
}

/**
 * Diagnostic for 1080p, to say where the tap's time goes: a cold memcpy, Buffer.copy from 16
 * rotating sources into 4 rotating slots (75 MB in all, more than the caches), i.e. the copy
 * the tap would do if its frame were in memory already but not in this core's cache.
 */
interface ColdCopy {
  readonly frameSize: number;
  readonly sources: Buffer[];
  readonly slots: Buffer;
  index: number;
  readonly ns: number[];
}

function setupColdCopy(): ColdCopy {
  const { width, height } = GEOMETRY['1080p'];
  const frameSize = width * height * 3 / 2;
  const cold: ColdCopy = {
    frameSize, sources: Array.from({ length: 16 }, (_, index) => Buffer.alloc(frameSize, index)),
    slots: Buffer.alloc(4 * frameSize), index: 0, ns: [],
  };
  coldSample(cold, 32);
  return cold;
}

function coldSample(cold: ColdCopy, copies: number): number {
  const start = threadCpuNs();
  for (let copy = 0; copy < copies; copy++) {
    const index = cold.index++;
    cold.sources[index % 16]!.copy(cold.slots, (index % 4) * cold.frameSize);
  }
  return (threadCpuNs() - start) / copies;
}

export interface TapCostResult {
  readonly [key: string]: Stat;
}

async function main(params: { profile: Profile }): Promise<TapCostResult> {
  const { profile } = params;
  const variants: Variant[] = [];
  for (const [key, geometry, ffi] of [
    ['1080p', '1080p', 'koffi'], ['1080p_ffi_rs', '1080p', 'ffi-rs'],
    ['720p', '720p', 'koffi'], ['720p_ffi_rs', '720p', 'ffi-rs'],
  ] as const) {
    progress(`on_vs_memcpy: starting ${key}`);
    variants.push(await setup(key, geometry, ffi));
  }
  const cold = setupColdCopy();
  const coldRatios: number[] = [];
  for (let rep = 0; rep < profile.tapReps; rep++) {
    // Variant order rotates, and tap/memcpy order alternates, every repetition.
    for (let step = 0; step < variants.length; step++) {
      const variant = variants[(rep + step) % variants.length]!;
      let tap: number;
      let memcpy: number;
      if ((rep + step) % 2 === 0) {
        tap = await tapSample(variant, profile.tapFrames);
        memcpy = memcpySample(variant, profile.tapFrames);
      } else {
        memcpy = memcpySample(variant, profile.tapFrames);
        tap = await tapSample(variant, profile.tapFrames);
      }
      variant.tapNs.push(tap);
      variant.memcpyNs.push(memcpy);
      variant.ratios.push(tap / memcpy);
      if (variant.key === '1080p') {
        const coldNs = coldSample(cold, profile.tapFrames);
        cold.ns.push(coldNs);
        coldRatios.push(coldNs / memcpy);
      }
    }
    progress(`on_vs_memcpy ${rep + 1}/${profile.tapReps}`);
  }
  const result: Record<string, Stat> = {};
  for (const variant of variants) {
    result[`on_vs_memcpy_${variant.key}`] = summarize(variant.ratios);
    result[`tap_cpu_us_per_frame_${variant.key}`] = summarize(variant.tapNs.map((ns) => ns / 1000));
    result[`tap_reads_per_frame_${variant.key}`] = summarize(variant.readsPerFrame);
    if (variant.ffi === 'koffi') result[`memcpy_us_${variant.geometry}`] = summarize(variant.memcpyNs.map((ns) => ns / 1000));
    variant.feeder.send({ type: 'end' });
    await variant.feeder.exited;
    variant.reader.close();
    variant.hook.close();
  }
  result.memcpy_cold_us_1080p = summarize(cold.ns.map((ns) => ns / 1000));
  result.memcpy_cold_vs_memcpy_1080p = summarize(coldRatios);
  return result;
}

runItem(main);
