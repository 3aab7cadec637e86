/**
 * What a reader pays, and what the writer pays for waking readers (the readers' figures):
 *   reader_wakeups_per_frame, reader_latency_p99_ms: a TypeScript reader blocked in waitNext
 *     (FUTEX_WAIT) on a 30 fps writer (the live hook, 1280x720, another process); beside it, at
 *     the same time on the same writer, a polling reader (1 ms sleeps, version 1's way), and at
 *     the same time the floor: a C writer and a C reader doing only the wake and the copy
 *     (pipe-bench wake-floor), reader_floor_latency_p50_ms / _p99_ms;
 *   reader_readinto_vs_memcpy_1080p: readInto of a 1080p frame / a plain TypedArray.set of the
 *     same bytes from the same shared memory into the same buffer (the floor), alternating;
 *   writer_futex_wake_us: the writer's FUTEX_WAKE per commit, with nobody waiting, per binding.
 * Each role runs in a process of its own. Method: docs/benchmarks.md, "How each figure is measured", 7.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LibC } from '../src/ffi/libc';
import { loadLibC } from '../src/ffi/load-libc';
import { DATA_FILE_NAME, Header } from '../src/layout/frame-export-layout';
import { BenchLogger, GEOMETRY, liveEnv, makeExportDir, progress, runItem, sleep } from './lib/item';
import { buildPipeBench } from './lib/native';
import type { Profile } from './lib/profile';
import { percentile, summarize, type Stat } from './lib/stats';

const CAMERA = 'cam';
const WAIT_GEOMETRY = GEOMETRY['720p'];
const FPS = 30;

type Role =
  | { readonly role: 'writer'; readonly dir: string }
  | { readonly role: 'reader'; readonly dir: string; readonly mode: 'futex' | 'poll'; readonly rounds: number; readonly frames: number };

/** One round of a reader: wake-ups (futex waits or sleeps) per delivered frame, latency quantiles. */
interface Round {
  readonly wakeupsPerFrame: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The live hook on real shared memory, committing a frame every 1/FPS s until killed. */
function writer(dir: string): void {
  const { loadDecodeBoundaryHook } = require('../plugin/index') as typeof import('../plugin/index');
  const hook = loadDecodeBoundaryHook(liveEnv(dir, WAIT_GEOMETRY.width, WAIT_GEOMETRY.height), new BenchLogger());
  hook.onStreamStart(CAMERA, WAIT_GEOMETRY);
  const frame = new Uint8Array(WAIT_GEOMETRY.width * WAIT_GEOMETRY.height * 1.5);
  setInterval(() => hook.onFrame(CAMERA, frame), 1000 / FPS);
  process.send!({ ready: true });
}

/** A reader process: `rounds` rounds of `frames` frames, futex (waitNext) or polling. */
async function reader(params: Extract<Role, { role: 'reader' }>): Promise<Round[]> {
  const { FrameReader } = require('../src/index') as typeof import('../src/index');
  const opened = FrameReader.open(CAMERA, { dir: params.dir });
  let wakeups = 0;
  const internals = opened as unknown as { libc: LibC };
  const libc = internals.libc;
  internals.libc = new Proxy(libc, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (property === 'futexWait') {
        return (address: number, expected: number, ms: number) => {
          wakeups++;
          return target.futexWait(address, expected, ms);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const target = new Uint8Array(WAIT_GEOMETRY.width * WAIT_GEOMETRY.height * 1.5);
  const rounds: Round[] = [];
  let last = 0;
  // Both copy the frame with readInto into one buffer: the difference is the waiting alone.
  const next = (): number | null => {
    if (params.mode === 'futex') return opened.waitNextInto(target, 2000) > 0 ? opened.lastRead!.timestampNs : null;
    for (let attempt = 0; attempt < 2000; attempt++) {
      if (opened.latestFrameId() > last && opened.readInto(target) > last) {
        last = opened.lastRead!.frameId;
        return opened.lastRead!.timestampNs;
      }
      wakeups++;
      Atomics.wait(sleeper, 0, 0, 1);
    }
    return null;
  };
  next(); // attached, and past the first frame
  for (let round = 0; round < params.rounds; round++) {
    wakeups = 0;
    const latencies = new Float64Array(params.frames);
    for (let index = 0; index < params.frames; index++) {
      const timestampNs = next();
      if (timestampNs === null) throw new Error(`${params.mode} reader: no frame within 2 s`);
      latencies[index] = (Number(process.hrtime.bigint()) - timestampNs) / 1e6;
    }
    rounds.push({ wakeupsPerFrame: wakeups / params.frames, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) });
  }
  opened.close();
  return rounds;
}

function forkRole(role: Role): ChildProcess {
  return fork(__filename, [JSON.stringify(role)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function resultOf<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.on('message', (message: { type?: string; result?: T; message?: string }) => {
      if (message.type === 'result') resolve(message.result as T);
      else if (message.type === 'failed') reject(new Error(message.message));
    });
    child.once('exit', (code) => reject(new Error(`reader exited (${code}) without a result`)));
  });
}

/** The floor's rounds (pipe-bench wake-floor: a C writer and reader, the same frame size and rate). */
function wakeFloor(rounds: number, frames: number): Promise<Round[]> {
  const frameBytes = WAIT_GEOMETRY.width * WAIT_GEOMETRY.height * 1.5;
  return new Promise((resolve, reject) => {
    execFile(buildPipeBench(), ['wake-floor', String(frameBytes), String(FPS), String(frames), String(rounds)], (error, stdout) => {
      if (error) return reject(error);
      resolve(stdout.trim().split('\n').map((line) => {
        const [p50, p99] = line.split(' ').map(Number);
        return { wakeupsPerFrame: 1, p50Ms: p50! / 1e6, p99Ms: p99! / 1e6 };
      }));
    });
  });
}

/** The wait figures: both readers and the floor at once, the readers on one 30 fps writer. */
async function waiting(profile: Profile): Promise<Record<string, Stat>> {
  const dir = makeExportDir('readers');
  const writerProcess = forkRole({ role: 'writer', dir });
  await new Promise<void>((resolve) => writerProcess.once('message', () => resolve()));
  try {
    const rounds = profile.name === 'quick' ? 3 : 7;
    const frames = 3 * FPS;
    progress(`futex and polling readers, ${rounds} rounds of ${frames} frames at ${FPS} fps`);
    const floor = wakeFloor(rounds, frames);
    const [futex, poll] = await Promise.all((['futex', 'poll'] as const).map((mode) =>
      resultOf<Round[]>(forkRole({ role: 'reader', dir, mode, rounds, frames }))));
    const floorRounds = await floor;
    const of = (list: readonly Round[], key: keyof Round) => summarize(list.map((round) => round[key]));
    return {
      reader_wakeups_per_frame: of(futex!, 'wakeupsPerFrame'),
      reader_latency_p50_ms: of(futex!, 'p50Ms'),
      reader_latency_p99_ms: of(futex!, 'p99Ms'),
      reader_floor_latency_p50_ms: of(floorRounds, 'p50Ms'),
      reader_floor_latency_p99_ms: of(floorRounds, 'p99Ms'),
      reader_latency_p50_vs_floor: summarize(futex!.map((round, index) => round.p50Ms / floorRounds[index]!.p50Ms)),
      reader_poll_wakeups_per_frame: of(poll!, 'wakeupsPerFrame'),
      reader_poll_latency_p50_ms: of(poll!, 'p50Ms'),
      reader_poll_latency_p99_ms: of(poll!, 'p99Ms'),
    };
  } finally {
    writerProcess.kill('SIGKILL');
  }
}

/** readInto vs the floor: the same bytes, same mapping, same target, alternating which goes first. */
async function readIntoVsMemcpy(profile: Profile): Promise<Record<string, Stat>> {
  const { loadDecodeBoundaryHook } = require('../plugin/index') as typeof import('../plugin/index');
  const { FrameReader } = require('../src/index') as typeof import('../src/index');
  const { width, height } = GEOMETRY['1080p'];
  const dir = makeExportDir('readinto');
  const hook = loadDecodeBoundaryHook(liveEnv(dir, width, height), new BenchLogger());
  hook.onStreamStart(CAMERA, { width, height });
  const frameSize = width * height * 1.5;
  hook.onFrame(CAMERA, new Uint8Array(frameSize).fill(7));
  const opened = FrameReader.open(CAMERA, { dir });
  const libc = loadLibC('koffi');
  const fd = fs.openSync(path.join(dir, CAMERA, DATA_FILE_NAME), 'r');
  const address = libc.mmapShared(fd, frameSize, false);
  const slot = new Uint8Array(libc.view(address, frameSize));
  const target = new Uint8Array(frameSize);
  const copies = 40;
  const time = (body: () => void): number => {
    const started = process.hrtime.bigint();
    for (let index = 0; index < copies; index++) body();
    return Number(process.hrtime.bigint() - started);
  };
  const readInto = () => {
    if (opened.readInto(target) === 0) throw new Error('readInto found no frame');
  };
  const memcpy = () => target.set(slot);
  time(readInto);
  time(memcpy);
  const ratios: number[] = [];
  const perFrameUs: number[] = [];
  const memcpyUs: number[] = [];
  for (let rep = 0; rep < (profile.name === 'quick' ? 9 : 25); rep++) {
    let ours: number;
    let floor: number;
    if (rep % 2 === 0) {
      ours = time(readInto);
      floor = time(memcpy);
    } else {
      floor = time(memcpy);
      ours = time(readInto);
    }
    ratios.push(ours / floor);
    perFrameUs.push(ours / copies / 1000);
    memcpyUs.push(floor / copies / 1000);
    await sleep(1);
  }
  libc.munmap(address, frameSize);
  fs.closeSync(fd);
  opened.close();
  hook.close();
  return {
    reader_readinto_vs_memcpy_1080p: summarize(ratios),
    reader_readinto_us_1080p: summarize(perFrameUs),
    reader_memcpy_us_1080p: summarize(memcpyUs),
  };
}

/** µs per FUTEX_WAKE on a mapped word with nobody waiting, as the writer calls it per commit. */
function futexWakeCost(profile: Profile): Record<string, Stat> {
  const dir = makeExportDir('wake');
  const file = path.join(dir, 'word');
  fs.writeFileSync(file, Buffer.alloc(4096));
  const out: Record<string, Stat> = {};
  for (const backend of ['koffi', 'ffi-rs'] as const) {
    const libc = loadLibC(backend);
    const fd = fs.openSync(file, 'r+');
    const address = libc.mmapShared(fd, 4096, true) + Header.NOTIFY_SEQ;
    const calls = 20_000;
    const samples: number[] = [];
    for (let rep = 0; rep < (profile.name === 'quick' ? 5 : 15); rep++) {
      const started = process.hrtime.bigint();
      for (let index = 0; index < calls; index++) libc.futexWake(address);
      samples.push(Number(process.hrtime.bigint() - started) / calls / 1000);
    }
    out[backend === 'koffi' ? 'writer_futex_wake_us' : 'writer_futex_wake_us_ffi_rs'] = summarize(samples.slice(1));
    libc.munmap(address - Header.NOTIFY_SEQ, 4096);
    fs.closeSync(fd);
  }
  return out;
}

async function main(params: { profile: Profile } | Role): Promise<unknown> {
  if ('role' in params) {
    if (params.role === 'writer') {
      writer(params.dir);
      return new Promise(() => undefined); // until killed
    }
    return reader(params);
  }
  const { profile } = params;
  const results = { ...(await waiting(profile)) };
  progress('readInto vs memcpy at 1080p');
  Object.assign(results, await readIntoVsMemcpy(profile));
  progress('FUTEX_WAKE per commit');
  Object.assign(results, futexWakeCost(profile));
  return results;
}

runItem(main);
