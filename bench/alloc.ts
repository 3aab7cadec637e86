/**
 * Item 6: heap bytes allocated per frame in steady state, on the live onFrame path (main
 * thread) and on the tap path (tap thread), each with a positive control that allocates a known
 * ~1 KiB per frame on the same path, to show the method sees allocation when there is some.
 *
 * Every measurement runs in a child with --max-semi-space-size=1 (bench/alloc-child.ts).
 * onFrame: scavenges in a window of `allocFrames` calls after a warm-up. Tap: the worker's
 * scavenges over its life, a run of warm-up + allocFrames frames minus a run of the warm-up
 * alone (the same start-up in both). bytes/frame <= scavenges * 1 MiB / frames.
 */
import * as path from 'node:path';
import type { AllocChildParams, AllocChildResult } from './alloc-child';
import { progress, runChild, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';

/** Small frames: the per-frame code path does not depend on the size; 100k 1080p frames would take minutes. */
const WIDTH = 320;
const HEIGHT = 180;
const WARMUP = 10_000;

function child(params: AllocChildParams): Promise<AllocChildResult> {
  return runChild<AllocChildResult>(path.join(__dirname, 'alloc-child.js'), params, { execArgv: ['--max-semi-space-size=1'], timeoutMs: 300_000 });
}

async function main(params: { profile: Profile }): Promise<Record<string, Stat | string>> {
  const { profile } = params;
  const frames = profile.allocFrames;
  const reps = profile.name === 'full' ? 3 : 1;
  const series: Record<string, number[]> = { onframe: [], tap: [], onframe_control: [], tap_control: [], onframe_scavenges: [], tap_scavenges: [] };
  for (let rep = 0; rep < reps; rep++) {
    for (const control of [false, true]) {
      const suffix = control ? '_control' : '';
      progress(`alloc: onFrame${control ? ' control' : ''}, run ${rep + 1}/${reps}`);
      const onFrame = await child({ path: 'onframe', frames, warmupFrames: WARMUP, control, width: WIDTH, height: HEIGHT });
      series[`onframe${suffix}`]!.push(onFrame.scavenges * onFrame.semiSpaceBytes / frames);
      if (!control) series.onframe_scavenges!.push(onFrame.scavenges);

      progress(`alloc: tap${control ? ' control' : ''}, run ${rep + 1}/${reps}`);
      const long = await child({ path: 'tap', frames, warmupFrames: WARMUP, control, width: WIDTH, height: HEIGHT });
      const short = await child({ path: 'tap', frames: 0, warmupFrames: WARMUP, control, width: WIDTH, height: HEIGHT });
      const scavenges = Math.max(0, long.scavenges - short.scavenges);
      series[`tap${suffix}`]!.push(scavenges * long.semiSpaceBytes / frames);
      if (!control) series.tap_scavenges!.push(scavenges);
    }
  }
  const headline = series.onframe!.map((value, index) => Math.max(value, series.tap![index]!));
  return {
    alloc_bytes_per_frame: summarize(headline),
    alloc_bytes_per_frame_onframe: summarize(series.onframe!),
    alloc_bytes_per_frame_tap: summarize(series.tap!),
    alloc_control_bytes_per_frame_onframe: summarize(series.onframe_control!),
    alloc_control_bytes_per_frame_tap: summarize(series.tap_control!),
    alloc_scavenges_onframe: summarize(series.onframe_scavenges!),
    alloc_scavenges_tap: summarize(series.tap_scavenges!),
    alloc_resolution_bytes_per_frame: summarize([1024 * 1024 / frames]),
    alloc_method: `--max-semi-space-size=1, v8.GCProfiler on the isolate running the path, ${frames} frames of ${WIDTH}x${HEIGHT}; ` +
      'control: +1 array of 126 elements (~1056 B) per frame',
  };
}

runItem(main);
