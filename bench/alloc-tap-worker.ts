/**
 * The allocation item only: stands in for src/tap/tap-worker.js in the allocation child (bench/alloc
 * redirects the hook's Worker here). It records this isolate's garbage collections with
 * v8.GCProfiler around the real tap worker, which it loads unchanged (the tap loop runs inside
 * that require until the hook closes), then writes them to BENCH_ALLOC_OUT.
 *
 * With BENCH_ALLOC_CONTROL set it is the positive control: FrameRing.commitFrame also
 * allocates a 126-element array (about 1 KiB) per committed frame.
 */
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { FrameRing } from '../src/ring/frame-ring';

let keep: unknown = null;
if (process.env.BENCH_ALLOC_CONTROL === '1') {
  const commit = FrameRing.prototype.commitFrame;
  FrameRing.prototype.commitFrame = function commitWithAllocation(this: FrameRing): void {
    keep = new Array(126);
    commit.call(this);
  };
}

const profiler = new v8.GCProfiler();
profiler.start();
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../src/tap/tap-worker');
const profile = profiler.stop();
fs.writeFileSync(process.env.BENCH_ALLOC_OUT!, JSON.stringify({ gcTypes: profile.statistics.map((entry) => entry.gcType), kept: keep !== null }));
