/**
 * Item 4: 1..32 cameras at 1080p30, each run in a fresh host process (bench/scaling-host.ts).
 * Every camera count runs twice per repetition: with the prescribed spinning reader (latency
 * to a reader's sighting, CPU, losses) and with the sleeping diagnostic reader (the tap's own
 * write-to-commit latency without a process spinning on one of the two CPUs).
 * Repetitions sweep all camera counts in turn (1, 4, 8, ..., 1, 4, 8, ...), so slow phases of
 * the shared machine spread over every count instead of landing on one.
 */
import * as path from 'node:path';
import { GEOMETRY, progress, runChild, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';
import type { ScalingHostParams, ScalingHostResult } from './scaling-host';

export interface ScalingRow {
  readonly cameras: number;
  readonly cpu_pct_one_core: Stat;
  readonly frames_lost: Stat;
  readonly latency_p50_ms: Stat;
  readonly latency_p99_ms: Stat;
  readonly latency_max_ms: Stat;
  readonly tap_share_p50_ms: Stat;
  readonly tap_share_p99_ms: Stat;
  readonly reader_share_p50_ms: Stat;
  readonly reader_share_p99_ms: Stat;
  readonly fps_per_camera: Stat;
  readonly frames_seen_fraction: Stat;
  readonly feeder_late_frames: Stat;
  readonly stamp_mismatches: Stat;
  readonly frames_per_run: Stat;
  /** From the runs with the sleeping diagnostic reader: feeder write to the tap's commit. */
  readonly publish_latency_p50_ms: Stat;
  readonly publish_latency_p99_ms: Stat;
  readonly publish_latency_max_ms: Stat;
  readonly cpu_pct_one_core_sleeping_reader: Stat;
  readonly fps_per_camera_sleeping_reader: Stat;
}

async function main(params: { profile: Profile }): Promise<{ scaling: ScalingRow[] }> {
  const { profile } = params;
  const runs = new Map<number, ScalingHostResult[]>(profile.scalingCameras.map((cameras) => [cameras, []]));
  const quietRuns = new Map<number, ScalingHostResult[]>(profile.scalingCameras.map((cameras) => [cameras, []]));
  const total = 2 * profile.scalingReps * profile.scalingCameras.length;
  let done = 0;
  for (let rep = 0; rep < profile.scalingReps; rep++) {
    for (const cameras of profile.scalingCameras) {
      for (const readerMode of ['spin', 'sleep'] as const) {
        progress(`scaling: ${cameras} camera(s), ${readerMode === 'spin' ? 'spinning' : 'sleeping'} reader, run ${rep + 1}/${profile.scalingReps} (${done}/${total})`);
        const windowMs = readerMode === 'spin' ? profile.scalingWindowMs : profile.scalingQuietWindowMs;
        const hostParams: ScalingHostParams = {
          cameras, exportOn: true, withReader: true, readerMode, ...GEOMETRY['1080p'], fps: 30,
          warmupMs: profile.scalingWarmupMs, windowMs,
        };
        const result = await runChild<ScalingHostResult>(path.join(__dirname, 'scaling-host.js'), hostParams,
          { timeoutMs: profile.scalingWarmupMs + windowMs + 60_000 });
        if (result.logErrors.length > 0) throw new Error(`scaling ${cameras}: plugin logged errors: ${result.logErrors.join('; ')}`);
        (readerMode === 'spin' ? runs : quietRuns).get(cameras)!.push(result);
        done++;
      }
    }
  }
  const scaling = profile.scalingCameras.map((cameras): ScalingRow => {
    const results = runs.get(cameras)!;
    const quiet = quietRuns.get(cameras)!;
    const pick = (f: (r: ScalingHostResult) => number): Stat => summarize(results.map(f));
    const pickQuiet = (f: (r: ScalingHostResult) => number): Stat => summarize(quiet.map(f));
    return {
      cameras,
      cpu_pct_one_core: pick((r) => r.cpuPctOneCore),
      frames_lost: pick((r) => r.framesLost),
      latency_p50_ms: pick((r) => r.latencyP50Ms),
      latency_p99_ms: pick((r) => r.latencyP99Ms),
      latency_max_ms: pick((r) => r.latencyMaxMs),
      tap_share_p50_ms: pick((r) => r.tapShareP50Ms),
      tap_share_p99_ms: pick((r) => r.tapShareP99Ms),
      reader_share_p50_ms: pick((r) => r.readerShareP50Ms),
      reader_share_p99_ms: pick((r) => r.readerShareP99Ms),
      fps_per_camera: pick((r) => r.fpsPerCamera),
      frames_seen_fraction: pick((r) => r.framesSeenFraction),
      feeder_late_frames: pick((r) => r.feederLateFrames),
      stamp_mismatches: pick((r) => r.stampMismatches),
      frames_per_run: pick((r) => r.framesWrittenByFeeder),
      publish_latency_p50_ms: pickQuiet((r) => r.tapShareP50Ms),
      publish_latency_p99_ms: pickQuiet((r) => r.tapShareP99Ms),
      publish_latency_max_ms: pickQuiet((r) => r.tapShareMaxMs),
      cpu_pct_one_core_sleeping_reader: pickQuiet((r) => r.cpuPctOneCore),
      fps_per_camera_sleeping_reader: pickQuiet((r) => r.fpsPerCamera),
    };
  });
  return { scaling };
}

runItem(main);
