/**
 * ffmpeg_on_off_*: VAS's own FFmpeg CPU (wait4 rusage) per frame with export on / off,
 * alternating, on the same H.264 file played in real time; and the stream-copy host.
 * Method and the two changes to VAS's command: docs/benchmarks.md, "How each figure is measured", 3.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../plugin/index';
import { FrameReader } from '../src/index';
import { BenchLogger, GEOMETRY, liveEnv, makeExportDir, progress, runItem, waitFor } from './lib/item';
import { buildPipeBench } from './lib/native';
import type { Profile } from './lib/profile';
import { ratios, summarize, type Stat } from './lib/stats';

const FPS = 30;
const SSRC = 305441741;

/**
 * Upstream VAS's FFmpeg argv for one camera, as rtsp_pipeline.py builds it (ssrc below 2^31, so
 * its signed conversion is the identity). Kept in one function so that a checked-in copy of the
 * upstream list can replace it.
 */
export function upstreamVasArgs(rtspUrl: string, rtpHost: string, rtpPort: number, hlsDir: string, ssrc: number): string[] {
  return [
    '-loglevel', 'error', '-rtsp_transport', 'tcp', '-fflags', 'nobuffer', '-flags', 'low_delay', '-strict', 'experimental',
    '-i', rtspUrl,
    '-map', '0:v:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
    '-level', '3.1', '-pix_fmt', 'yuv420p', '-g', '30', '-b:v', '2000k', '-maxrate', '2500k', '-bufsize', '1000k',
    '-r', '30', '-f', 'rtp', '-payload_type', '96', '-ssrc', String(ssrc), `rtp://${rtpHost}:${rtpPort}?pkt_size=1200`,
    '-map', '0:v:0', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-level', '4.0',
    '-pix_fmt', 'yuv420p', '-g', '60', '-b:v', '3000k', '-maxrate', '4000k', '-bufsize', '6000k', '-r', '30',
    '-f', 'hls', '-hls_time', '6', '-hls_list_size', '14400', '-hls_flags', 'append_list+delete_segments',
    '-hls_delete_threshold', '14400', '-hls_segment_filename', path.join(hlsDir, 'segment-%03d.ts'),
    '-hls_start_number_source', 'epoch', path.join(hlsDir, 'stream.m3u8'),
  ];
}

/** The bench's only changes: a file played in real time instead of an RTSP camera. */
function fileInput(args: readonly string[], file: string, url: string): string[] {
  const out = [...args];
  out.splice(out.indexOf('-rtsp_transport'), 2, '-re');
  out[out.indexOf(url)] = file;
  return out;
}

/** The same outputs, stream-copied: every `-c:v libx264 ... -r 30` becomes `-c:v copy`. */
function streamCopy(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < args.length; index++) {
    if (args[index] === '-c:v') {
      out.push('-c:v', 'copy');
      while (args[index + 1] !== '-f') index++;
    } else {
      out.push(args[index]!);
    }
  }
  return out;
}

/** An H.264 test file like a camera's (testsrc, libx264, B-frames), cached between runs. */
function testInput(width: number, height: number, seconds: number): string {
  const dir = path.join(os.tmpdir(), 'vas-bench-media');
  const file = path.join(dir, `testsrc-${width}x${height}-${FPS}fps-${seconds}s-bf3.mp4`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${FPS}`,
      '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '60', '-pix_fmt', 'yuv420p', '-f', 'mp4', `${file}.tmp`]);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

interface Run {
  readonly label: string;
  readonly source: keyof typeof GEOMETRY;
  readonly exportGeometry: keyof typeof GEOMETRY;
  readonly copy: boolean;
  readonly hook: DecodeBoundaryHook;
  readonly dir: string;
  readonly on: number[];
  readonly off: number[];
  readonly frames: number[];
}

/**
 * One FFmpeg run; records its CPU ns and, export on, how many frames it decoded. VAS's
 * `-fflags nobuffer` makes FFmpeg drop the packets it reads while probing the input (the first
 * 2 s of these files; the first moments of a camera's stream), so frames are counted, not assumed.
 */
async function runFfmpeg(run: Run, exportOn: boolean, input: string, rtpPort: number, serial: number): Promise<void> {
  const hlsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-bench-hls-'));
  const url = 'rtsp://camera.invalid/stream';
  let args = fileInput(upstreamVasArgs(url, '127.0.0.1', rtpPort, hlsDir, SSRC), input, url);
  if (run.copy) args = streamCopy(args);
  const hook = exportOn ? run.hook : loadDecodeBoundaryHook({}, new BenchLogger());
  const id = `cam-${serial}`;
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'ignore', 'pipe'];
  const tap = hook.ffmpegOutput(id, stdio.length);
  args.push(...tap.args);
  stdio.push(...tap.stdio);
  const usageFile = path.join(hlsDir, 'rusage');
  const child = spawn(buildPipeBench(), ['run', usageFile, 'ffmpeg', ...args], { stdio });
  hook.onProcessSpawned(id, child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr.trim().slice(-400)}`);
  if (exportOn) {
    // The tap drains the pipe to its end after FFmpeg exits: wait until the count stands still.
    const reader = FrameReader.open(id, { dir: run.dir });
    let [count, still] = [-1, 0];
    await waitFor(() => {
      const now = Number(reader.info()?.status.framesWritten ?? 0);
      [count, still] = [now, now === count ? still + 1 : 0];
      return still >= 10;
    }, `the tap to finish ${id}`, 10_000, 20);
    run.frames.push(count);
    reader.close();
    hook.onStreamStop(id);
  }
  const [user, sys] = fs.readFileSync(usageFile, 'utf8').trim().split(' ').map(Number);
  fs.rmSync(hlsDir, { recursive: true, force: true });
  (exportOn ? run.on : run.off).push((user! + sys!) * 1000);
}

async function main(params: { profile: Profile }): Promise<Record<string, Stat>> {
  const { profile } = params;
  const seconds = profile.ffmpegSeconds;
  const sink = dgram.createSocket('udp4');
  sink.on('message', () => undefined);
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const rtpPort = sink.address().port;
  const runs: Run[] = [];
  for (const [label, source, exportGeometry, copy] of [
    ['1080p', '1080p', '1080p', false], ['720p', '720p', '720p', false],
    ['1080p_to_720p', '1080p', '720p', false], ['copy_host_1080p', '1080p', '1080p', true],
  ] as const) {
    const dir = makeExportDir(`ffmpeg-${label}`);
    const { width, height } = GEOMETRY[exportGeometry];
    runs.push({ label, source, exportGeometry, copy, hook: loadDecodeBoundaryHook(liveEnv(dir, width, height), new BenchLogger()), dir, on: [], off: [], frames: [] });
  }
  progress('ffmpeg: preparing test inputs');
  const inputs = { '1080p': testInput(1920, 1080, seconds), '720p': testInput(1280, 720, seconds) };
  let serial = 0;
  for (let pair = 0; pair < profile.ffmpegPairs; pair++) {
    for (const run of runs) {
      for (const exportOn of pair % 2 === 0 ? [false, true] : [true, false]) {
        progress(`ffmpeg ${run.label}, export ${exportOn ? 'on' : 'off'}, pair ${pair + 1}/${profile.ffmpegPairs}`);
        await runFfmpeg(run, exportOn, inputs[run.source], rtpPort, serial++);
      }
    }
  }
  sink.close();
  const result: Record<string, Stat> = {};
  for (const run of runs) {
    // Every run decodes the same frames of the same file: the count must not vary.
    const frames = run.frames[0]!;
    if (frames < FPS || run.frames.some((count) => count !== frames)) throw new Error(`${run.label}: frames exported ${run.frames.join(', ')}`);
    const key = run.copy ? `ffmpeg_${run.label.replace('_1080p', '')}_on_off_1080p` : `ffmpeg_on_off_${run.label}`;
    result[key] = ratios(run.on, run.off);
    result[`ffmpeg_ms_per_frame_off_${run.label}`] = summarize(run.off.map((ns) => ns / frames / 1e6));
    result[`ffmpeg_ms_per_frame_on_${run.label}`] = summarize(run.on.map((ns) => ns / frames / 1e6));
    // At 30 fps: CPU seconds per second of video, in % of one core.
    result[`ffmpeg_added_pct_core_${run.label}`] = summarize(run.on.map((ns, index) => ((ns - run.off[index]!) / frames) * FPS / 1e7));
    run.hook.close();
  }
  return result;
}

runItem(main);
