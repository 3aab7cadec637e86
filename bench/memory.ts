/**
 * Item 7: shared memory per camera from the layout, and the RSS of a host process with 4
 * cameras started at 1080p30 (fed for a while, so every slot has been written) with export on,
 * against the same host with export off (NOOP_HOOK: the same ffmpegOutput/onProcessSpawned
 * calls, no pipe, no tap). On and off runs alternate, each in a fresh process.
 */
import * as path from 'node:path';
import { CONFIG_DEFAULTS } from '../src/config/frame-export-config';
import { SLOT_ALIGNMENT, computeLayout, roundUp } from '../src/layout/frame-export-layout';
import { GEOMETRY, progress, runChild, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';
import type { ScalingHostParams, ScalingHostResult } from './scaling-host';

const MB = 1024 * 1024;

async function main(params: { profile: Profile }): Promise<Record<string, Stat | number>> {
  const { profile } = params;
  const layout = computeLayout(GEOMETRY['1080p'], CONFIG_DEFAULTS.slotCount);
  const shmBytes = roundUp(layout.metaFileSize, SLOT_ALIGNMENT) + roundUp(layout.dataFileSize, SLOT_ALIGNMENT);
  const on: ScalingHostResult[] = [];
  const off: ScalingHostResult[] = [];
  for (let rep = 0; rep < profile.memoryReps; rep++) {
    for (const exportOn of rep % 2 === 0 ? [true, false] : [false, true]) {
      progress(`memory: export ${exportOn ? 'on' : 'off'}, run ${rep + 1}/${profile.memoryReps}`);
      const hostParams: ScalingHostParams = {
        cameras: 4, exportOn, withReader: false, ...GEOMETRY['1080p'], fps: 30, warmupMs: 1000, windowMs: 1500,
      };
      const result = await runChild<ScalingHostResult>(path.join(__dirname, 'scaling-host.js'), hostParams, { timeoutMs: 60_000 });
      (exportOn ? on : off).push(result);
    }
  }
  const mb = (results: ScalingHostResult[], f: (r: ScalingHostResult) => number): Stat => summarize(results.map((r) => f(r) / MB));
  return {
    shm_bytes_per_camera_1080p: shmBytes,
    shm_slots_default: CONFIG_DEFAULTS.slotCount,
    rss_on_mb: mb(on, (r) => r.rssBytes),
    rss_off_mb: mb(off, (r) => r.rssBytes),
    rss_on_shmem_mb: mb(on, (r) => r.rssShmemBytes),
    rss_on_anon_mb: mb(on, (r) => r.rssAnonBytes),
    rss_off_anon_mb: mb(off, (r) => r.rssAnonBytes),
    rss_on_file_mb: mb(on, (r) => r.rssFileBytes),
    rss_off_file_mb: mb(off, (r) => r.rssFileBytes),
  };
}

runItem(main);
