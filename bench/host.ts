/**
 * A VAS-like host process: the plugin loaded as VAS loads it, N cameras whose "FFmpeg" is one
 * pipe-bench producer, wired as the patch wires FFmpeg (ffmpegOutput(cam_i, 3 + i), spawn,
 * onProcessSpawned). feed: the producer's stdin and stdout are this process's, whoever started
 * the host drives it. rate: N cameras at fps; over the window this process's CPU (all threads)
 * and RSS, then frames lost and, with the publish collector, write -> commit latency.
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
  readonly warmupFrames?: number;
  readonly windowFrames?: number;
  readonly collectPublish?: boolean;
}

export interface HostResult {
  readonly cpuPctOneCore: number;
  readonly framesLost: number;
  readonly fpsPerCamera: number;
  readonly publishMs: readonly number[];
  readonly rss: ReturnType<typeof rssBreakdown>;
  readonly logErrors: readonly string[];
}

const exited = (child: ChildProcess): Promise<unknown> => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));

async function main(params: HostParams): Promise<HostResult | null> {
  const dir = params.dir ?? makeExportDir(`host${params.cameras}`);
  const ids = Array.from({ length: params.cameras }, (_, index) => `cam-${index + 1}`);
  const logger = new BenchLogger();
  const hook = loadDecodeBoundaryHook(params.exportOn ? liveEnv(dir, params.width, params.height, params.ffi) : {}, logger);
  const stdio: Array<'inherit' | 'pipe' | number> = params.mode === 'feed' ? ['inherit', 'inherit', 'inherit'] : ['pipe', 'pipe', 'inherit'];
  // Each camera's first tap fd carries its frames; the second is the source probe, which FFmpeg
  // writes one small picture to and the producer leaves alone (it closes at the producer's exit).
  const frameFds: number[] = [];
  for (const id of ids) {
    frameFds.push(stdio.length);
    stdio.push(...hook.ffmpegOutput(id, stdio.length).stdio);
  }
  const stampsFile = path.join(dir, '.stamps');
  const producer = params.exportOn
    ? spawn(PIPE_BENCH, ['feed', String(params.width * params.height * 1.5), params.mode === 'feed' ? '-' : stampsFile, ...frameFds.map(String)], { stdio })
    : null;
  for (const id of ids) if (producer !== null) hook.onProcessSpawned(id, producer);
  if (params.mode === 'feed') {
    progress('ready');
    await exited(producer!);
    hook.close();
    return null;
  }
  const fps = params.fps!;
  const collected = path.join(dir, '.collected');
  const collector = params.collectPublish === true && producer !== null
    ? spawn(process.execPath, [path.join(__dirname, 'publish-collector.js'), dir, ids.join(','), collected], { stdio: ['ignore', 'pipe', 'inherit'] })
    : null;
  if (collector !== null) await new Promise((resolve) => collector.stdout!.once('data', resolve));
  const control = producer === null ? null : new ProducerControl(producer.stdin!, producer.stdout!);
  const frames = async (count: number): Promise<void> => (control === null ? sleep((count * 1000) / fps) : control.burst(count, fps, 1000));
  await frames(params.warmupFrames!);
  const cpu0 = process.cpuUsage();
  const t0 = Number(process.hrtime.bigint());
  await frames(params.windowFrames!);
  const cpu = process.cpuUsage(cpu0);
  const t1 = Number(process.hrtime.bigint());
  const rss = rssBreakdown();
  const total = ids.length * (params.warmupFrames! + params.windowFrames!);
  let committed = 0;
  const publishMs: number[] = [];
  if (control !== null) {
    const readers = ids.map((id) => FrameReader.open(id, { dir }));
    const count = (): number => readers.reduce((sum, reader) => sum + Number(reader.info()?.status.framesWritten ?? 0), 0);
    await waitFor(() => (committed = count()) >= total, 'the tap to drain every pipe', 5000, 5).catch(() => undefined);
    for (const reader of readers) reader.close();
    control.end();
    await exited(producer!);
  }
  if (collector !== null) {
    // Producer stamps inside the window, joined with the commit times the collector saw.
    fs.writeFileSync(path.join(dir, '.collector-stop'), '');
    await exited(collector);
    const commits = new Float64Array(new Uint8Array(fs.readFileSync(collected)).buffer);
    const commitNs = new Map<number, number>();
    for (let index = 0; index + 2 < commits.length; index += 3) commitNs.set(commits[index]! * 2 ** 32 + commits[index + 1]!, commits[index + 2]!);
    const stamps = new Float64Array(new Uint8Array(fs.readFileSync(stampsFile)).buffer);
    for (let index = 0; index + 2 < stamps.length; index += 3) {
      const commit = commitNs.get(stamps[index]! * 2 ** 32 + stamps[index + 1]!);
      if (stamps[index + 2]! >= t0 && stamps[index + 2]! <= t1 && commit !== undefined) publishMs.push((commit - stamps[index + 2]!) / 1e6);
    }
  }
  hook.close();
  return {
    cpuPctOneCore: ((cpu.user + cpu.system) / 1000 / ((t1 - t0) / 1e6)) * 100,
    framesLost: params.exportOn ? total - committed : 0,
    fpsPerCamera: (params.windowFrames! * 1e9) / (t1 - t0),
    publishMs: [percentile(publishMs, 50), percentile(publishMs, 99), publishMs.length > 0 ? Math.max(...publishMs) : NaN],
    rss,
    logErrors: logger.lines.filter((line) => line.startsWith('error')),
  };
}

runItem(main);
