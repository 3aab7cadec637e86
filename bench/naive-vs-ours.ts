/**
 * Item 3: CPU per 1080p frame of the naive exporter (bench/naive-exporter.ts, a BASELINE: temp
 * file + rename per frame for data and meta, on the same tmpfs) divided by ours (the live
 * hook's onFrame into the shared-memory ring), interleaved in one process.
 *
 * CPU is process.cpuUsage() (user + system, every thread), so work the kernel or V8 does on
 * another thread on either side's behalf is counted too.
 */
import { loadDecodeBoundaryHook } from '../plugin/index';
import { processCpuNs } from './lib/cpu';
import { BenchLogger, GEOMETRY, liveEnv, makeExportDir, patternFrame, progress, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';
import { NaiveFileExporter } from './naive-exporter';

async function main(params: { profile: Profile }): Promise<Record<string, Stat>> {
  const { profile } = params;
  const { width, height } = GEOMETRY['1080p'];
  const frameSize = width * height * 3 / 2;
  const frames = [patternFrame(frameSize, 1), patternFrame(frameSize, 2)];
  const naive = new NaiveFileExporter(makeExportDir('naive'), 'cam', width, height);
  const hook = loadDecodeBoundaryHook(liveEnv(makeExportDir('ours'), width, height), new BenchLogger());
  hook.onStreamStart('cam', { width, height });

  let sequence = 0;
  const naiveSample = (count: number): number => {
    const start = processCpuNs();
    for (let frame = 0; frame < count; frame++) naive.writeFrame(frames[sequence++ & 1]!);
    return (processCpuNs() - start) / count;
  };
  const oursSample = (count: number): number => {
    const start = processCpuNs();
    for (let frame = 0; frame < count; frame++) hook.onFrame('cam', frames[sequence++ & 1]!);
    return (processCpuNs() - start) / count;
  };
  naiveSample(10);
  oursSample(10);

  const naiveNs: number[] = [];
  const oursNs: number[] = [];
  for (let rep = 0; rep < profile.naiveReps; rep++) {
    if (rep % 2 === 0) {
      naiveNs.push(naiveSample(profile.naiveFrames));
      oursNs.push(oursSample(profile.naiveFrames));
    } else {
      oursNs.push(oursSample(profile.naiveFrames));
      naiveNs.push(naiveSample(profile.naiveFrames));
    }
    progress(`naive_vs_ours ${rep + 1}/${profile.naiveReps}`);
    // Let the hook's heartbeat timer and any pending work run between samples.
    await new Promise((resolve) => setImmediate(resolve));
  }
  hook.close();
  return {
    naive_vs_ours_1080p: summarize(naiveNs.map((ns, index) => ns / oursNs[index]!)),
    naive_us_per_frame_1080p: summarize(naiveNs.map((ns) => ns / 1000)),
    ours_onframe_us_per_frame_1080p: summarize(oursNs.map((ns) => ns / 1000)),
  };
}

runItem(main);
