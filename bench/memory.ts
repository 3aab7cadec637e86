/** Memory: shared memory per camera from the layout; host RSS with 4 cameras at 1080p30, export on vs off. */
import * as path from 'node:path';
import { CONFIG_DEFAULTS } from '../src/config/frame-export-config';
import { SLOT_ALIGNMENT, computeLayout, roundUp } from '../src/layout/frame-export-layout';
import { GEOMETRY, progress, runChild, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';
import type { HostParams, HostResult } from './host';

const MB = 1024 * 1024;

async function main(params: { profile: Profile }): Promise<Record<string, Stat>> {
  const layout = computeLayout(GEOMETRY['1080p'], CONFIG_DEFAULTS.slotCount);
  const runs: Record<'on' | 'off', HostResult[]> = { on: [], off: [] };
  for (let rep = 0; rep < params.profile.memoryReps; rep++) {
    for (const side of rep % 2 === 0 ? ['on', 'off'] as const : ['off', 'on'] as const) {
      progress(`memory: export ${side}, run ${rep + 1}/${params.profile.memoryReps}`);
      const hostParams: HostParams = { mode: 'rate', cameras: 4, exportOn: side === 'on', ...GEOMETRY['1080p'], fps: 30, warmupFrames: 30, windowFrames: 45 };
      runs[side].push(await runChild<HostResult>(path.join(__dirname, 'host.js'), hostParams, { timeoutMs: 60_000 }));
    }
  }
  const mb = (side: 'on' | 'off', part: keyof HostResult['rss']): Stat => summarize(runs[side].map((r) => r.rss[part] / MB));
  return {
    shm_bytes_per_camera_1080p: summarize([roundUp(layout.metaFileSize, SLOT_ALIGNMENT) + roundUp(layout.dataFileSize, SLOT_ALIGNMENT)]),
    rss_on_mb: mb('on', 'rss'),
    rss_off_mb: mb('off', 'rss'),
    rss_on_shmem_mb: mb('on', 'shmem'),
    rss_on_anon_mb: mb('on', 'anon'),
    rss_off_anon_mb: mb('off', 'anon'),
  };
}

runItem(main);
