/**
 * tap_vs_floor_*: CPU of the whole reading process per frame for the C floor, the C poll
 * pattern, the Python peer and the tap (koffi, ffi-rs), all at once at 30 fps, each fed by the
 * same producer. Method: docs/benchmarks.md, "How each figure is measured", 2.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_DEFAULTS } from '../src/config/frame-export-config';
import { loadLibC } from '../src/ffi/load-libc';
import { FrameReader } from '../src/index';
import { processCpuNs, procCounters } from './lib/cpu';
import { GEOMETRY, makeExportDir, progress, runItem, waitFor } from './lib/item';
import { buildPipeBench, PEER_PY, PYTHON, ProducerControl } from './lib/native';
import type { Profile } from './lib/profile';
import { ratios, summarize, type Stat } from './lib/stats';
import type { HostParams } from './host';

type Kind = 'floor' | 'floor_poll' | 'peer' | 'tap' | 'tap_ffi_rs';
const KINDS: readonly Kind[] = ['floor', 'floor_poll', 'peer', 'tap', 'tap_ffi_rs'];
const FPS = 30;

interface Series {
  readonly cpuNs: number[];
  readonly threadNs: number[];
  readonly reads: number[];
  readonly sleeps: number[];
}

interface Variant {
  readonly kind: Kind;
  readonly geometry: keyof typeof GEOMETRY;
  readonly pid: number;
  readonly children: ChildProcess[];
  readonly control: ProducerControl;
  readonly frames: () => number;
  sent: number;
  /** The tap thread (the host's busiest thread), 0 for floor and peer. */
  tid: number;
  readonly series: Series;
}

function schedNs(pid: number, tid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}

async function start(kind: Kind, geometry: keyof typeof GEOMETRY, bin: string): Promise<Variant> {
  const { width, height } = GEOMETRY[geometry];
  const size = width * height * 3 / 2;
  const dir = makeExportDir(`floor-${kind}-${geometry}`);
  const common = { kind, geometry, sent: 0, tid: 0, series: { cpuNs: [], threadNs: [], reads: [], sleeps: [] } };
  if (kind === 'tap' || kind === 'tap_ffi_rs') {
    const params: HostParams = { mode: 'feed', cameras: 1, exportOn: true, width, height, dir, ffi: kind === 'tap' ? 'koffi' : 'ffi-rs' };
    const host = fork(path.join(__dirname, 'host.js'), [JSON.stringify(params)], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
    await new Promise((resolve) => host.once('message', resolve));
    const reader = FrameReader.open('cam-1', { dir });
    return { ...common, pid: host.pid!, children: [host], control: new ProducerControl(host.stdin!, host.stdout!), frames: () => reader.latestFrameId() };
  }
  const file = path.join(dir, 'slots');
  const [readEnd, writeEnd] = loadLibC('koffi').pipe();
  const args = [String(size), String(CONFIG_DEFAULTS.slotCount), file];
  const reader = kind !== 'peer'
    ? spawn(bin, ['floor', ...args, ...(kind === 'floor_poll' ? ['poll'] : [])], { stdio: [readEnd, 'ignore', 'inherit'] })
    : spawn(PYTHON, [PEER_PY, ...args], { stdio: [readEnd, 'ignore', 'inherit'] });
  const producer = spawn(bin, ['feed', String(size), '-', '3'], { stdio: ['pipe', 'pipe', 'inherit', writeEnd] });
  fs.closeSync(readEnd);
  fs.closeSync(writeEnd);
  const count = Buffer.alloc(8);
  const frames = (): number => {
    try {
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, count, 0, 8, 0);
      fs.closeSync(fd);
      return Number(count.readBigUInt64LE(0));
    } catch {
      return 0;
    }
  };
  return { ...common, pid: reader.pid!, children: [reader, producer], control: new ProducerControl(producer.stdin!, producer.stdout!), frames };
}

/** One round of `frames` frames for every variant given, all at once (fps 0: as fast as they go). */
async function round(variants: readonly Variant[], frames: number, fps: number): Promise<void> {
  const before = variants.map((v) => ({ cpu: processCpuNs(v.pid), thread: v.tid > 0 ? schedNs(v.pid, v.tid) : 0, counters: procCounters(v.pid) }));
  await Promise.all(variants.map(async (variant, index) => {
    await variant.control.burst(frames, fps, 1000 + (index * 1e6) / FPS / variants.length);
    variant.sent += frames;
    await waitFor(() => variant.frames() >= variant.sent, `${variant.kind} ${variant.geometry}: frame ${variant.sent}`, 60_000);
  }));
  variants.forEach((variant, index) => {
    const series = variant.series;
    const counters = procCounters(variant.pid);
    series.cpuNs.push((processCpuNs(variant.pid) - before[index]!.cpu) / frames);
    if (variant.tid > 0) series.threadNs.push((schedNs(variant.pid, variant.tid) - before[index]!.thread) / frames);
    series.reads.push((counters.reads - before[index]!.counters.reads) / frames);
    series.sleeps.push((counters.sleeps - before[index]!.counters.sleeps) / frames);
  });
}

async function main(params: { profile: Profile }): Promise<Record<string, Stat>> {
  const { profile } = params;
  const bin = buildPipeBench();
  const variants: Variant[] = [];
  for (const geometry of ['1080p', '720p'] as const) {
    for (const kind of KINDS) {
      progress(`tap vs floor: starting ${kind} ${geometry}`);
      const variant = await start(kind, geometry, bin);
      // Slots faulted in, the tap's code optimized; its thread is the one that did the work.
      const tasks = fs.readdirSync(`/proc/${variant.pid}/task`).map(Number);
      const cpu0 = tasks.map((tid) => schedNs(variant.pid, tid));
      await round([variant], 300, 0);
      if (kind.startsWith('tap')) {
        const used = tasks.map((tid, index) => schedNs(variant.pid, tid) - cpu0[index]!);
        variant.tid = tasks[used.indexOf(Math.max(...used))]!;
      }
      variants.push(variant);
    }
  }
  progress('tap vs floor: settling');
  await round(variants, profile.floorSettleFrames, FPS);
  for (const variant of variants) for (const list of Object.values(variant.series)) list.length = 0;
  for (let rep = 0; rep < profile.floorReps; rep++) {
    await round(variants, profile.floorFrames, FPS);
    progress(`tap vs floor ${rep + 1}/${profile.floorReps}`);
  }
  const result: Record<string, Stat> = {};
  for (const geometry of ['1080p', '720p'] as const) {
    const of = (kind: Kind): Series => variants.find((variant) => variant.kind === kind && variant.geometry === geometry)!.series;
    result[`tap_vs_floor_${geometry}`] = ratios(of('tap').cpuNs, of('floor').cpuNs);
    result[`tap_vs_floor_${geometry}_ffi_rs`] = ratios(of('tap_ffi_rs').cpuNs, of('floor').cpuNs);
    result[`tap_thread_vs_floor_${geometry}`] = ratios(of('tap').threadNs, of('floor').cpuNs);
    result[`floor_poll_vs_floor_${geometry}`] = ratios(of('floor_poll').cpuNs, of('floor').cpuNs);
    result[`peer_vs_floor_${geometry}`] = ratios(of('peer').cpuNs, of('floor').cpuNs);
    result[`tap_vs_peer_${geometry}`] = ratios(of('tap').cpuNs, of('peer').cpuNs);
    for (const kind of KINDS) {
      result[`${kind}_us_per_frame_${geometry}`] = summarize(of(kind).cpuNs.map((ns) => ns / 1000));
      if (kind.startsWith('tap')) result[`${kind}_thread_us_per_frame_${geometry}`] = summarize(of(kind).threadNs.map((ns) => ns / 1000));
      result[`${kind}_reads_per_frame_${geometry}`] = summarize(of(kind).reads);
      result[`${kind}_sleeps_per_frame_${geometry}`] = summarize(of(kind).sleeps);
    }
  }
  for (const variant of variants) {
    variant.control.end();
    await Promise.all(variant.children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
  }
  return result;
}

runItem(main);
