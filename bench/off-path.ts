/**
 * off_ratio: a host's per-frame path with NOOP_HOOK.onFrame at its end / without it, and the
 * null control (without / without). Every repetition compiles fresh copies of both sides: V8
 * keeps a several-percent bias per compilation. Method: docs/benchmarks.md, 1.
 */
import { loadDecodeBoundaryHook, NOOP_HOOK } from '../plugin/index';
import { threadCpuNs } from './lib/cpu';
import { BenchLogger, progress, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { ratios, summarize, type Stat } from './lib/stats';

const frameHook = loadDecodeBoundaryHook({}, new BenchLogger());
/** A local name: the compiled copies see only what `compile` binds (no module imports). */
const cpuNs: () => number = threadCpuNs;
const FRAME_MAGIC = 0x3231564e;
const HEADER_BYTES = 16;
const CLONES = 4;
const SLICES = 40;

interface CameraState {
  frames: number;
  bytes: number;
  lastPts: number;
  outOfOrder: number;
  keyframes: number;
  lastArrivalMs: number;
  fpsEma: number;
}

const cameras = new Map<string, CameraState>();
const cameraIds = Array.from({ length: 8 }, (_, index) => `cam-${index + 1}`);
const frames = cameraIds.map((id) => {
  cameras.set(id, { frames: 0, bytes: 0, lastPts: -1, outOfOrder: 0, keyframes: 0, lastArrivalMs: 0, fpsEma: 30 });
  const frame = Buffer.alloc(HEADER_BYTES + 1920 * 1080 * 3 / 2);
  frame.writeUInt32LE(FRAME_MAGIC, 0);
  return frame;
});

/** The host's bookkeeping per decoded frame; `withHook` is a constant of each compiled copy. */
function hostFrame(cameraId: string, frame: Buffer, nowMs: number): number {
  const state = cameras.get(cameraId);
  if (state === undefined || frame.length < HEADER_BYTES || frame.readUInt32LE(0) !== FRAME_MAGIC) return -1;
  const pts = frame.readUInt32LE(4) + frame.readUInt16LE(8) * 4294967296;
  if (pts <= state.lastPts) state.outOfOrder++;
  state.lastPts = pts;
  if ((frame.readUInt16LE(10) & 1) !== 0) state.keyframes++;
  state.frames++;
  state.bytes += frame.length - HEADER_BYTES;
  const elapsed = nowMs - state.lastArrivalMs;
  state.lastArrivalMs = nowMs;
  state.fpsEma += 0.05 * (1000 / (elapsed > 1 ? elapsed : 1) - state.fpsEma);
  if (WITH_HOOK) frameHook.onFrame(cameraId, frame);
  return state.frames;
}
const WITH_HOOK = false;

/** CPU ns per call of the host path over `calls` frames from 8 cameras round robin. */
function sample(calls: number): number {
  let local = 0;
  const start = cpuNs();
  for (let call = 0; call < calls; call++) {
    const frame = frames[call & 7]!;
    frame.writeUInt32LE(call >>> 3, 4); // a new pts per round, as on a live stream
    frame.writeUInt16LE((call & 0xff) === 0 ? 1 : 0, 10);
    local += hostFrame(cameraIds[call & 7]!, frame, call * 4.17);
  }
  const cpu = cpuNs() - start;
  return local === -1 ? -1 : cpu / calls;
}

let serial = 0;

/** A freshly compiled sampler; with the hook call or without (the source differs in one constant). */
function compile(withHook: boolean): (calls: number) => number {
  const scope: Record<string, unknown> = { cameras, FRAME_MAGIC, HEADER_BYTES, frameHook, WITH_HOOK: withHook };
  const bind = (source: string, extra: Record<string, unknown>): unknown => {
    const names = [...Object.keys(scope), ...Object.keys(extra)];
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function(...names, `'use strict'; /* copy ${++serial} */ return (${source});`)(...names.map((name) => scope[name] ?? extra[name]));
  };
  const host = bind(String(hostFrame), {});
  return bind(String(sample), { hostFrame: host, cpuNs, frames, cameraIds }) as (calls: number) => number;
}

/** Interleaved A/B over fresh copies; per repetition, each side's mean ns per call. */
function interleave(reps: number, calls: number, hookA: boolean, hookB: boolean, label: string): { a: number[]; b: number[] } {
  const out = { a: [] as number[], b: [] as number[] };
  const perCopy = Math.max(1, Math.floor(calls / CLONES / SLICES));
  for (let rep = 0; rep < reps; rep++) {
    const pairs = Array.from({ length: CLONES }, (_, clone) => ((rep + clone) % 2 === 0
      ? [compile(hookA), compile(hookB)] : [compile(hookB), compile(hookA)].reverse()) as [(n: number) => number, (n: number) => number]);
    for (let round = 0; round < 4; round++) for (const [a, b] of pairs) a(50_000) + b(50_000);
    let sumA = 0;
    let sumB = 0;
    for (let slice = 0; slice < SLICES; slice++) {
      pairs.forEach(([a, b], clone) => {
        if ((slice + rep + clone) % 2 === 0) {
          sumA += a(perCopy);
          sumB += b(perCopy);
        } else {
          sumB += b(perCopy);
          sumA += a(perCopy);
        }
      });
    }
    out.a.push(sumA / (SLICES * CLONES));
    out.b.push(sumB / (SLICES * CLONES));
    progress(`${label} ${rep + 1}/${reps}`);
  }
  return out;
}

async function main(params: { profile: Profile }): Promise<Record<string, Stat>> {
  if (frameHook !== NOOP_HOOK) throw new Error('export is off, yet loadDecodeBoundaryHook did not return NOOP_HOOK');
  const { offReps, offCalls } = params.profile;
  const off = interleave(offReps, offCalls, false, true, 'off_ratio');
  const nullControl = interleave(offReps, offCalls, false, false, 'off_ratio null control');
  return {
    off_ratio: ratios(off.b, off.a),
    off_null_ratio: ratios(nullControl.b, nullControl.a),
    off_ns_per_call_without_hook: summarize(off.a),
    off_ns_per_call_noop_hook: summarize(off.b),
  };
}

runItem(main);
