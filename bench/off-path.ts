/**
 * Item 1: what export OFF costs the host. VAS holds NOOP_HOOK when AI_FRAME_EXPORT_ENABLED is
 * unset; this compares the host's per-frame path calling NOOP_HOOK.onFrame with the identical
 * path without the call, and the spawn-time path (ffmpegOutput + spreading its empty arrays)
 * with the same argv/stdio construction without it.
 *
 * The hook is obtained exactly as the patched VAS module does it, once at module load:
 * `const frameHook = loadDecodeBoundaryHook(env)`, with export off.
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadDecodeBoundaryHook, NOOP_HOOK } from '../plugin/index';
import { threadCpuNs } from './lib/cpu';
import { BenchLogger, progress, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';

const frameHook = loadDecodeBoundaryHook({}, new BenchLogger());

// ---- the host's per-frame path ----------------------------------------------------------------

/** What a host keeps per camera for each decoded frame (stats it would export or log). */
interface CameraState {
  frames: number;
  bytes: number;
  lastPts: number;
  outOfOrder: number;
  keyframes: number;
  badHeader: number;
  lastArrivalMs: number;
  fpsEma: number;
}

/** A decoded frame as an in-process decoder would hand it over: a 16-byte header, then NV12. */
const FRAME_MAGIC = 0x3231564e;
const HEADER_BYTES = 16;

const cameras = new Map<string, CameraState>();

/** Bookkeeping a host does per decoded frame, then (or not) the hook call. */
function hostFrameWithoutHook(cameraId: string, frame: Buffer, nowMs: number): number {
  const state = cameras.get(cameraId);
  if (state === undefined) return -1;
  if (frame.length < HEADER_BYTES || frame.readUInt32LE(0) !== FRAME_MAGIC) {
    state.badHeader++;
    return -1;
  }
  const pts = frame.readUInt32LE(4) + frame.readUInt16LE(8) * 4294967296;
  const flags = frame.readUInt16LE(10);
  if (pts <= state.lastPts) state.outOfOrder++;
  state.lastPts = pts;
  if ((flags & 1) !== 0) state.keyframes++;
  state.frames++;
  state.bytes += frame.length - HEADER_BYTES;
  const elapsed = nowMs - state.lastArrivalMs;
  state.lastArrivalMs = nowMs;
  state.fpsEma += 0.05 * (1000 / (elapsed > 1 ? elapsed : 1) - state.fpsEma);
  return state.frames;
}

/** Identical, plus the decode-boundary call VAS makes with the hook it holds. */
function hostFrameWithNoopHook(cameraId: string, frame: Buffer, nowMs: number): number {
  const state = cameras.get(cameraId);
  if (state === undefined) return -1;
  if (frame.length < HEADER_BYTES || frame.readUInt32LE(0) !== FRAME_MAGIC) {
    state.badHeader++;
    return -1;
  }
  const pts = frame.readUInt32LE(4) + frame.readUInt16LE(8) * 4294967296;
  const flags = frame.readUInt16LE(10);
  if (pts <= state.lastPts) state.outOfOrder++;
  state.lastPts = pts;
  if ((flags & 1) !== 0) state.keyframes++;
  state.frames++;
  state.bytes += frame.length - HEADER_BYTES;
  const elapsed = nowMs - state.lastArrivalMs;
  state.lastArrivalMs = nowMs;
  state.fpsEma += 0.05 * (1000 / (elapsed > 1 ? elapsed : 1) - state.fpsEma);
  frameHook.onFrame(cameraId, frame);
  return state.frames;
}

const CAMERA_COUNT = 8;
const cameraIds = Array.from({ length: CAMERA_COUNT }, (_, index) => `cam-${index + 1}`);
const frames: Buffer[] = [];
const cpuNs: () => number = threadCpuNs;

function setupFrames(): void {
  for (const id of cameraIds) {
    cameras.set(id, { frames: 0, bytes: 0, lastPts: -1, outOfOrder: 0, keyframes: 0, badHeader: 0, lastArrivalMs: 0, fpsEma: 30 });
    // 1080p NV12 payload behind the header; the path reads only the header, as a host would.
    const frame = Buffer.alloc(HEADER_BYTES + 1920 * 1080 * 3 / 2);
    frame.writeUInt32LE(FRAME_MAGIC, 0);
    frames.push(frame);
  }
}

type HostFrameFn = (cameraId: string, frame: Buffer, nowMs: number) => number;
type Sampler = (calls: number) => number;

/** Stands for the host function a sampler clone calls (bound per clone, see cloneOf). */
function hostFrame(_cameraId: string, _frame: Buffer, _nowMs: number): number {
  throw new Error('unbound');
}

/** CPU ns per call of `hostFrame` over `calls` frames from 8 cameras round robin. */
function sampleFramePath(calls: number): number {
  let local = 0;
  const start = cpuNs();
  for (let call = 0; call < calls; call++) {
    const frame = frames[call & 7]!;
    // A new pts per round, so the branches on pts order behave as on a live stream.
    frame.writeUInt32LE(call >>> 3, 4);
    frame.writeUInt16LE((call & 0xff) === 0 ? 1 : 0, 10);
    local += hostFrame(cameraIds[call & 7]!, frame, call * 4.17);
  }
  const cpu = cpuNs() - start;
  return local === -1 ? -1 : cpu / calls;
}

/**
 * A separately compiled copy of `fn` with its free variables bound to `scope`. Two textually
 * identical functions compiled by V8 differ by several percent (code placement, register
 * choices), enough to swamp a 2 % goal, and a given compilation keeps its bias for the life of
 * the process. Every repetition therefore compiles fresh copies of both sides: the bias becomes
 * noise from one repetition to the next, which the median over repetitions sees through.
 */
let cloneSerial = 0;

function cloneOf<F>(fn: F, scope: Record<string, unknown>): F {
  const names = Object.keys(scope);
  // The serial makes every source text unique, so no compilation cache can share code.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...names, `'use strict'; /* copy ${++cloneSerial} */ return (${String(fn)});`)(...names.map((name) => scope[name])) as F;
}

function frameSampler(host: HostFrameFn): Sampler {
  const hostClone = cloneOf(host, { cameras, FRAME_MAGIC, HEADER_BYTES, frameHook });
  return cloneOf(sampleFramePath, { hostFrame: hostClone, cpuNs, frames, cameraIds });
}
// ---- the spawn-time path ---------------------------------------------------------------------

interface HostCamera {
  readonly id: string;
  readonly rtspUrl: string;
  readonly rtpPort: number;
  readonly hlsDir: string;
}

type StdioEntry = 'ignore' | 'pipe' | number;

/** VAS's argv and stdio for one camera's FFmpeg (as in its RtspPipeline.start). */
function spawnPlanWithout(camera: HostCamera): number {
  const args = [
    '-hide_banner', '-loglevel', 'error',
    '-rtsp_transport', 'tcp', '-i', camera.rtspUrl,
    '-map', '0:v:0', '-c:v', 'copy', '-f', 'rtp', `rtp://127.0.0.1:${camera.rtpPort}`,
    '-map', '0:v:0', '-c:v', 'copy', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '5',
    '-hls_flags', 'delete_segments', path.join(camera.hlsDir, 'index.m3u8'),
  ];
  const stdio: StdioEntry[] = ['ignore', 'ignore', 'pipe'];
  return args.length + stdio.length;
}

/** The same, with the patch's three lines. */
function spawnPlanWithNoop(camera: HostCamera): number {
  const args = [
    '-hide_banner', '-loglevel', 'error',
    '-rtsp_transport', 'tcp', '-i', camera.rtspUrl,
    '-map', '0:v:0', '-c:v', 'copy', '-f', 'rtp', `rtp://127.0.0.1:${camera.rtpPort}`,
    '-map', '0:v:0', '-c:v', 'copy', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '5',
    '-hls_flags', 'delete_segments', path.join(camera.hlsDir, 'index.m3u8'),
  ];
  const stdio: StdioEntry[] = ['ignore', 'ignore', 'pipe'];
  const tap = frameHook.ffmpegOutput(camera.id, stdio.length);
  args.push(...tap.args);
  stdio.push(...tap.stdio);
  return args.length + stdio.length;
}

const hostCameras: HostCamera[] = cameraIds.map((id, index) => ({
  id, rtspUrl: `rtsp://10.0.0.${index + 10}:554/stream1`, rtpPort: 40000 + 2 * index, hlsDir: `/var/lib/vas/hls/${id}`,
}));

/** Stands for the spawn-plan function a sampler clone calls. */
function spawnPlan(_camera: HostCamera): number {
  throw new Error('unbound');
}

function sampleSpawnPath(calls: number): number {
  let local = 0;
  const start = cpuNs();
  for (let call = 0; call < calls; call++) local += spawnPlan(hostCameras[call & 7]!);
  const cpu = cpuNs() - start;
  return local === -1 ? -1 : cpu / calls;
}

function spawnSampler(plan: (camera: HostCamera) => number): Sampler {
  const planClone = cloneOf(plan, { path, frameHook });
  return cloneOf(sampleSpawnPath, { spawnPlan: planClone, cpuNs, hostCameras });
}

export interface OffPathResult {
  readonly off_ratio: Stat;
  readonly off_null_ratio: Stat;
  readonly off_ns_per_call_without_hook: Stat;
  readonly off_ns_per_call_noop_hook: Stat;
  readonly spawn_off_ratio: Stat;
  readonly spawn_off_added_ns: Stat;
  readonly spawn_plan_ns_without_hook: Stat;
  readonly spawn_process_ms: Stat;
}

/**
 * Interleaved A/B over fresh copies. Each repetition compiles CLONES new copies of each side
 * (alternately A first and B first), warms them up until optimized, then runs `slices` rounds; in each
 * round every copy of both sides runs calls/slices calls, A before B in one round and B before
 * A in the next. A side's figure for the repetition is the mean over its copies and rounds.
 * Noise on this shared machine comes in bursts of milliseconds: fine alternation spreads each
 * burst over both sides instead of letting it land on one.
 */
function interleave(reps: number, calls: number, makeA: () => Sampler, makeB: () => Sampler,
  label: string, warmupCalls: number, slices = 40): { a: number[]; b: number[] } {
  const as: number[] = [];
  const bs: number[] = [];
  const perCopy = Math.max(1, Math.floor(calls / CLONES / slices));
  for (let rep = 0; rep < reps; rep++) {
    const a: Sampler[] = [];
    const b: Sampler[] = [];
    for (let clone = 0; clone < CLONES; clone++) {
      // Which side is compiled first alternates too.
      if ((rep + clone) % 2 === 0) {
        a.push(makeA());
        b.push(makeB());
      } else {
        b.push(makeB());
        a.push(makeA());
      }
    }
    for (let round = 0; round < 4; round++) for (const sampler of [...a, ...b]) sampler(warmupCalls);
    let sumA = 0;
    let sumB = 0;
    for (let slice = 0; slice < slices; slice++) {
      for (let clone = 0; clone < CLONES; clone++) {
        if ((slice + rep + clone) % 2 === 0) {
          sumA += a[clone]!(perCopy);
          sumB += b[clone]!(perCopy);
        } else {
          sumB += b[clone]!(perCopy);
          sumA += a[clone]!(perCopy);
        }
      }
    }
    as.push(sumA / (slices * CLONES));
    bs.push(sumB / (slices * CLONES));
    progress(`${label} ${rep + 1}/${reps}`);
  }
  return { a: as, b: bs };
}

const CLONES = 4;

async function main(params: { profile: Profile }): Promise<OffPathResult> {
  if (frameHook !== NOOP_HOOK) throw new Error('export is off, yet loadDecodeBoundaryHook did not return NOOP_HOOK');
  const { profile } = params;
  setupFrames();
  // Each repetition runs offCalls calls per side in all, spread over fresh copies.
  const withoutHook = (): Sampler => frameSampler(hostFrameWithoutHook);
  const withNoopHook = (): Sampler => frameSampler(hostFrameWithNoopHook);
  const frame = interleave(profile.offReps, profile.offCalls, withoutHook, withNoopHook, 'off_ratio: per-frame path', 50_000);
  // The null control: the same procedure with the path without a hook on both sides. Its
  // spread is this method's resolution on this machine; off_ratio is read against it.
  const nullControl = interleave(profile.offReps, profile.offCalls, withoutHook, withoutHook, 'off_ratio: null control (A/A)', 50_000);
  const spawn = interleave(profile.offReps, profile.spawnCalls, () => spawnSampler(spawnPlanWithout),
    () => spawnSampler(spawnPlanWithNoop), 'off_ratio: spawn path', 5_000);
  // For scale: what one spawn of a trivial process costs on this machine.
  const spawnMs: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const start = process.hrtime.bigint();
    spawnSync('/bin/true', [], { stdio: 'ignore' });
    spawnMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return {
    off_ratio: summarize(frame.b.map((b, index) => b / frame.a[index]!)),
    off_null_ratio: summarize(nullControl.b.map((b, index) => b / nullControl.a[index]!)),
    off_ns_per_call_without_hook: summarize(frame.a),
    off_ns_per_call_noop_hook: summarize(frame.b),
    spawn_off_ratio: summarize(spawn.b.map((b, index) => b / spawn.a[index]!)),
    spawn_off_added_ns: summarize(spawn.b.map((b, index) => b - spawn.a[index]!)),
    spawn_plan_ns_without_hook: summarize(spawn.a),
    spawn_process_ms: summarize(spawnMs),
  };
}

runItem(main);
