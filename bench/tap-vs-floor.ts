/**
 * Tap vs the pipe floor, and vs the peer: CPU of the whole reading process per frame, for
 * three readers of the same pipe, fed by the same producer (pipe-bench feed: raw frames written
 * as fast as the reader takes them), each into MAP_SHARED slots of a tmpfs file, same pipe size
 * (min(frame, pipe-max-size)), same slot count:
 *   floor  pipe-bench floor: blocking read(2) straight into the slot, nothing else (C);
 *   peer   bench/native/peer.py: Frigate-style Python readinto() into the slot;
 *   tap    a VAS-like host (bench/host.ts, feed mode) with the plugin: its tap thread, koffi or
 *          ffi-rs.
 * CPU: the reader process's CPU clock (all its threads), read before and after a burst; the
 * burst is over when the reader has counted every frame (floor, peer: the count they store at
 * offset 0; tap: latest_frame_id). Every repetition runs one burst of every variant, in an
 * order that rotates; ratios are taken within a repetition.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadLibC } from '../src/ffi/load-libc';
import { FrameReader } from '../src/index';
import { CONFIG_DEFAULTS } from '../src/config/frame-export-config';
import { processCpuNs, procCounters } from './lib/cpu';
import { GEOMETRY, makeExportDir, progress, runItem, waitFor } from './lib/item';
import { buildPipeBench, PEER_PY, PYTHON, ProducerControl } from './lib/native';
import type { Profile } from './lib/profile';
import { ratios, summarize, type Stat } from './lib/stats';
import type { HostParams } from './host';

type Kind = 'floor' | 'peer' | 'tap' | 'tap_ffi_rs';
const KINDS: readonly Kind[] = ['floor', 'peer', 'tap', 'tap_ffi_rs'];

interface Variant {
  readonly kind: Kind;
  readonly geometry: keyof typeof GEOMETRY;
  readonly pid: number;
  readonly children: ChildProcess[];
  readonly control: ProducerControl;
  readonly frames: () => number;
  sent: number;
  readonly cpuNs: number[];
  readonly reads: number[];
  readonly sleeps: number[];
}

async function start(kind: Kind, geometry: keyof typeof GEOMETRY, bin: string): Promise<Omit<Variant, 'cpuNs' | 'reads' | 'sleeps' | 'sent'>> {
  const { width, height } = GEOMETRY[geometry];
  const size = width * height * 3 / 2;
  const dir = makeExportDir(`floor-${kind}-${geometry}`);
  if (kind === 'tap' || kind === 'tap_ffi_rs') {
    const params: HostParams = { mode: 'feed', cameras: 1, exportOn: true, width, height, dir, ffi: kind === 'tap' ? 'koffi' : 'ffi-rs' };
    const host = fork(path.join(__dirname, 'host.js'), [JSON.stringify(params)], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
    await new Promise((resolve) => host.once('message', resolve));
    const reader = FrameReader.open('cam-1', { dir });
    return { kind, geometry, pid: host.pid!, children: [host], control: new ProducerControl(host.stdin!, host.stdout!), frames: () => reader.latestFrameId() };
  }
  const file = path.join(dir, 'slots');
  const [readEnd, writeEnd] = loadLibC('koffi').pipe();
  const args = [String(size), String(CONFIG_DEFAULTS.slotCount), file];
  const reader = kind === 'floor'
    ? spawn(bin, ['floor', ...args], { stdio: [readEnd, 'ignore', 'inherit'] })
    : spawn(PYTHON, [PEER_PY, ...args], { stdio: [readEnd, 'ignore', 'inherit'] });
  const producer = spawn(bin, ['feed', String(size), '3'], { stdio: ['pipe', 'pipe', 'inherit', writeEnd] });
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
  return { kind, geometry, pid: reader.pid!, children: [reader, producer], control: new ProducerControl(producer.stdin!, producer.stdout!), frames };
}

async function burst(variant: Variant, frames: number): Promise<void> {
  await variant.control.burst(frames);
  variant.sent += frames;
  await waitFor(() => variant.frames() >= variant.sent, `${variant.kind} ${variant.geometry}: frame ${variant.sent}`, 30_000);
}

async function sample(variant: Variant, frames: number): Promise<void> {
  const before = procCounters(variant.pid);
  const cpu = processCpuNs(variant.pid);
  await burst(variant, frames);
  variant.cpuNs.push((processCpuNs(variant.pid) - cpu) / frames);
  const after = procCounters(variant.pid);
  variant.reads.push((after.reads - before.reads) / frames);
  variant.sleeps.push((after.sleeps - before.sleeps) / frames);
}

async function main(params: { profile: Profile }): Promise<Record<string, Stat>> {
  const { profile } = params;
  const bin = buildPipeBench();
  const variants: Variant[] = [];
  for (const geometry of ['1080p', '720p'] as const) {
    for (const kind of KINDS) {
      progress(`tap vs floor: starting ${kind} ${geometry}`);
      const variant: Variant = { ...(await start(kind, geometry, bin)), sent: 0, cpuNs: [], reads: [], sleeps: [] };
      await burst(variant, 2 * profile.floorFrames); // warm-up: slots faulted in, code optimized
      variants.push(variant);
    }
  }
  for (let rep = 0; rep < profile.floorReps; rep++) {
    for (let step = 0; step < variants.length; step++) {
      const index = rep % 2 === 0 ? (rep + step) % variants.length : (rep + variants.length - step) % variants.length;
      await sample(variants[index]!, profile.floorFrames);
    }
    progress(`tap vs floor ${rep + 1}/${profile.floorReps}`);
  }
  const result: Record<string, Stat> = {};
  for (const geometry of ['1080p', '720p'] as const) {
    const of = (kind: Kind): Variant => variants.find((variant) => variant.kind === kind && variant.geometry === geometry)!;
    result[`tap_vs_floor_${geometry}`] = ratios(of('tap').cpuNs, of('floor').cpuNs);
    result[`tap_vs_floor_${geometry}_ffi_rs`] = ratios(of('tap_ffi_rs').cpuNs, of('floor').cpuNs);
    result[`peer_vs_floor_${geometry}`] = ratios(of('peer').cpuNs, of('floor').cpuNs);
    result[`tap_vs_peer_${geometry}`] = ratios(of('tap').cpuNs, of('peer').cpuNs);
    for (const kind of KINDS) {
      result[`${kind}_us_per_frame_${geometry}`] = summarize(of(kind).cpuNs.map((ns) => ns / 1000));
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
