/**
 * scaling: 1..32 cameras at 1080p30, each count in a fresh host (bench/host.ts, rate mode) with
 * the publish collector; counts swept in turn so slow phases of the machine spread over all.
 * Method: docs/benchmarks.md, "How each figure is measured", 4.
 */
import * as path from 'node:path';
import { GEOMETRY, progress, runChild, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';
import type { HostParams, HostResult } from './host';

const FPS = 30;

export interface ScalingRow {
  readonly cameras: number;
  readonly cpu_pct_one_core: Stat;
  readonly cpu_us_per_frame: Stat;
  readonly frames_lost: Stat;
  readonly publish_latency_p50_ms: Stat;
  readonly publish_latency_p99_ms: Stat;
  readonly publish_latency_max_ms: Stat;
  readonly fps_per_camera: Stat;
}

async function main(params: { profile: Profile }): Promise<{ scaling: ScalingRow[] }> {
  const { profile } = params;
  const runs = new Map<number, HostResult[]>(profile.scalingCameras.map((cameras) => [cameras, []]));
  for (let rep = 0; rep < profile.scalingReps; rep++) {
    for (const cameras of profile.scalingCameras) {
      progress(`scaling: ${cameras} camera(s), run ${rep + 1}/${profile.scalingReps}`);
      const hostParams: HostParams = {
        mode: 'rate', cameras, exportOn: true, ...GEOMETRY['1080p'], fps: FPS,
        warmupFrames: profile.scalingWarmupFrames, windowFrames: profile.scalingWindowFrames, collectPublish: true,
      };
      const result = await runChild<HostResult>(path.join(__dirname, 'host.js'), hostParams, { timeoutMs: 120_000 });
      if (result.logErrors.length > 0) throw new Error(`scaling ${cameras}: plugin logged errors: ${result.logErrors.join('; ')}`);
      runs.get(cameras)!.push(result);
    }
  }
  const scaling = profile.scalingCameras.map((cameras): ScalingRow => {
    const pick = (f: (r: HostResult) => number): Stat => summarize(runs.get(cameras)!.map(f));
    return {
      cameras,
      cpu_pct_one_core: pick((r) => r.cpuPctOneCore),
      cpu_us_per_frame: pick((r) => (r.cpuPctOneCore * 1e4) / (cameras * r.fpsPerCamera)),
      frames_lost: pick((r) => r.framesLost),
      publish_latency_p50_ms: pick((r) => r.publishMs[0]!),
      publish_latency_p99_ms: pick((r) => r.publishMs[1]!),
      publish_latency_max_ms: pick((r) => r.publishMs[2]!),
      fps_per_camera: pick((r) => r.fpsPerCamera),
    };
  });
  return { scaling };
}

runItem(main);
