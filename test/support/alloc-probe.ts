/**
 * Child-process probe for per-frame heap allocation. Run with a 1 MiB semi-space
 * (--max-semi-space-size=1) so that allocating even 16 bytes per frame over 100,000 frames
 * forces scavenges; prints {"minorGcs": n, ...}. Modes:
 *   live     the live hook (plugin/live.ts wiring, stubbed shm, real koffi clock): onFrame
 *   noop     every NOOP_HOOK method, once per frame
 *   reader   the live hook on real shared memory (futex wake included) and a FrameReader
 *            copying each frame with readInto, in one process
 *   control  a positive control that allocates a small array per frame
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import * as fs from 'node:fs';
import { NOOP_HOOK, loadDecodeBoundaryHook } from '../../plugin/index';
import { FrameReader } from '../../src/reader/frame-reader';
import { createStubbedHook } from './stub-hook';

const mode = process.argv[2] ?? 'live';
const frames = Number(process.argv[3] ?? 100_000);
const GEOMETRY = { width: 64, height: 32 };
let minorGcs = 0;
let majorGcs = 0;
let sink: unknown = null;

function runLoop(count: number, step: (i: number) => void): void {
  for (let i = 0; i < count; i++) step(i);
}

function setup(): (i: number) => void {
  const frame = new Uint8Array(GEOMETRY.width * GEOMETRY.height * 1.5);
  if (mode === 'live') {
    const { hook } = createStubbedHook({}, true);
    hook.onStreamStart('cam1', GEOMETRY);
    return () => hook.onFrame('cam1', frame);
  }
  if (mode === 'reader') {
    const dir = fs.mkdtempSync('/dev/shm/vas-alloc-');
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_BUFFER_CAPACITY: '4' });
    hook.onStreamStart('cam1', GEOMETRY);
    const reader = FrameReader.open('cam1', { dir });
    const target = new Uint8Array(frame.length);
    let copied = 0;
    return () => {
      hook.onFrame('cam1', frame);
      copied += reader.readInto(target) > 0 ? 1 : 0;
      sink = copied;
    };
  }
  if (mode === 'noop') {
    return () => {
      NOOP_HOOK.onStreamStart('cam1', GEOMETRY);
      NOOP_HOOK.onFrame('cam1', frame);
      sink = NOOP_HOOK.ffmpegOutput('cam1', 3);
      NOOP_HOOK.onProcessSpawned('cam1', process);
      NOOP_HOOK.onStreamStop('cam1');
    };
  }
  return (i) => {
    sink = [i, i];
  };
}

const step = setup();
runLoop(5_000, step); // warm up: optimise before counting
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
    else majorGcs++;
  }
});
setTimeout(() => {
  observer.observe({ entryTypes: ['gc'] });
  const heapBefore = process.memoryUsage().heapUsed;
  runLoop(frames, step);
  const heapAfter = process.memoryUsage().heapUsed;
  setTimeout(() => {
    observer.disconnect();
    process.stdout.write(`${JSON.stringify({ mode, frames, minorGcs, majorGcs, heapDelta: heapAfter - heapBefore, sink: typeof sink === "number" ? sink : sink !== undefined })}\n`);
    process.exit(0);
  }, 100);
}, 50);
