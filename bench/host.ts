/**
 * A VAS-like host process: the plugin loaded as VAS loads it, N cameras whose "FFmpeg" is one
 * pipe-bench producer, wired as the patch wires FFmpeg: ffmpegOutput(cam_i, 3 + i) for the tap's
 * args and stdio, spawn, onProcessSpawned. The main thread then only waits: frames go producer
 * -> pipe -> tap thread -> ring.
 *
 *  feed: the producer's stdin and stdout are this process's, so whoever started this host
 *        drives the bursts directly; the host ends when the producer does. Its CPU is the tap's.
 *  rate: paced producer. Over the producer's window: this process's CPU (every thread) and
 *        RSS; then frames lost (written vs frames_written in the metas) and, with a publish
 *        collector running, feeder write -> commit latency (the slot's timestamp_ns).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook } from '../plugin/index';
import { FrameReader } from '../src/index';
import { rssBreakdown } from './lib/cpu';
import { BenchLogger, liveEnv, makeExportDir, progress, runItem, sleep, waitFor } from './lib/item';
import { PIPE_BENCH, ProducerControl } from './lib/native';
import { percentile } from './lib/stats';

export interface HostParams {
  readonly mode: 'feed' | 'rate';
  readonly cameras: number;
  readonly exportOn: boolean;
  readonly width: number;
  readonly height: number;
  readonly ffi?: 'koffi' | 'ffi-rs';
  readonly dir?: string;
  readonly fps?: number;
  readonly warmupMs?: number;
  readonly windowMs?: number;
  readonly collectPublish?: boolean;
}

export interface HostResult {
  readonly cpuPctOneCore: number;
  readonly framesLost: number;
  readonly fpsPerCamera: number;
  readonly publishP50Ms: number;
  readonly publishP99Ms: number;
  readonly publishMaxMs: number;
  readonly rss: ReturnType<typeof rssBreakdown>;
  readonly logErrors: readonly string[];
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function main(params: HostParams): Promise<HostResult | null> {
  const dir = params.dir ?? makeExportDir(`host${params.cameras}`);
  const ids = Array.from({ length: params.cameras }, (_, index) => `cam-${index + 1}`);
  const logger = new BenchLogger();
  const hook = loadDecodeBoundaryHook(params.exportOn ? liveEnv(dir, params.width, params.height, params.ffi) : {}, logger);
  const stdio: Array<'inherit' | 'pipe' | number> = params.mode === 'feed' ? ['inherit', 'inherit', 'inherit'] : ['pipe', 'pipe', 'inherit'];
  for (const id of ids) stdio.push(...hook.ffmpegOutput(id, stdio.length).stdio);
  const fds = stdio.slice(3).map((_, index) => String(3 + index));
  const size = String(params.width * params.height * 3 / 2);
  const stampsFile = path.join(dir, '.stamps');
  if (params.mode === 'feed') {
    const producer = spawn(PIPE_BENCH, ['feed', size, ...fds], { stdio });
    for (const id of ids) hook.onProcessSpawned(id, producer);
    progress('ready');
    await exited(producer);
    hook.close();
    return null;
  }
  const windowMs = params.windowMs!;
  let producer: ChildProcess | null = null;
  let control: ProducerControl | null = null;
  if (fds.length > 0) {
    producer = spawn(PIPE_BENCH, ['rate', size, String(params.fps), String(params.warmupMs), String(windowMs), stampsFile, ...fds], { stdio });
    for (const id of ids) hook.onProcessSpawned(id, producer);
    control = new ProducerControl(producer.stdin!, producer.stdout!);
  }
  let collector: ChildProcess | null = null;
  const collected = path.join(dir, '.collected');
  if (params.collectPublish === true && control !== null) {
    collector = spawn(process.execPath, [path.join(__dirname, 'publish-collector.js'), dir, ids.join(','), collected], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => collector!.stdout!.once('data', resolve));
  }
  let cpu: NodeJS.CpuUsage;
  let written: number[] = [];
  let t0 = 0;
  let t1 = 0;
  if (control !== null) {
    control.send('go');
    if ((await control.next()) !== 'start') throw new Error('producer: no start');
    const cpu0 = process.cpuUsage();
    t0 = Number(process.hrtime.bigint());
    const end = await control.next();
    cpu = process.cpuUsage(cpu0);
    t1 = Number(process.hrtime.bigint());
    written = end.split(' ').slice(1).map(Number);
  } else {
    await sleep(params.warmupMs!);
    const cpu0 = process.cpuUsage();
    await sleep(windowMs);
    cpu = process.cpuUsage(cpu0);
  }
  const rss = rssBreakdown();
  const total = written.reduce((sum, value) => sum + value, 0);
  let committed = 0;
  if (params.exportOn) {
    const readers = ids.map((id) => FrameReader.open(id, { dir }));
    const framesWritten = (): number => readers.reduce((sum, reader) => sum + Number(reader.info()?.status.framesWritten ?? 0), 0);
    await waitFor(() => (committed = framesWritten()) >= total, 'the tap to drain every pipe', 5000, 5).catch(() => undefined);
    for (const reader of readers) reader.close();
  }
  if (producer !== null) await exited(producer);
  const latencies: number[] = [];
  let windowFrames = 0;
  if (control !== null) {
    // Producer stamps inside the window, joined with the commit times the collector saw.
    const stamps = new Float64Array(new Uint8Array(fs.readFileSync(stampsFile)).buffer);
    const commitNs = new Map<number, number>();
    if (collector !== null) {
      fs.writeFileSync(path.join(dir, '.collector-stop'), '');
      await exited(collector);
      const commits = new Float64Array(new Uint8Array(fs.readFileSync(collected)).buffer);
      for (let index = 0; index + 2 < commits.length; index += 3) commitNs.set(commits[index]! * 2 ** 32 + commits[index + 1]!, commits[index + 2]!);
    }
    for (let index = 0; index + 2 < stamps.length; index += 3) {
      if (stamps[index + 2]! < t0 || stamps[index + 2]! > t1) continue;
      windowFrames++;
      const commit = commitNs.get(stamps[index]! * 2 ** 32 + stamps[index + 1]!);
      if (commit !== undefined) latencies.push((commit - stamps[index + 2]!) / 1e6);
    }
  }
  hook.close();
  return {
    cpuPctOneCore: ((cpu.user + cpu.system) / 1000 / (control !== null ? (t1 - t0) / 1e6 : windowMs)) * 100,
    framesLost: params.exportOn ? total - committed : 0,
    fpsPerCamera: windowFrames / params.cameras / ((t1 - t0) / 1e9 || 1),
    publishP50Ms: percentile(latencies, 50),
    publishP99Ms: percentile(latencies, 99),
    publishMaxMs: latencies.length > 0 ? Math.max(...latencies) : NaN,
    rss,
    logErrors: logger.lines.filter((line) => line.startsWith('error')),
  };
}

runItem(main);
