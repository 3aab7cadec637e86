/**
 * npm run demo [-- --seconds N]
 *
 * The whole frame path on one machine:
 *   2 simulated RTSP cameras (GStreamer, test/fixtures/camera) -> the PATCHED reference VAS host
 *   (test/fixtures/vas + patches/0001-vas-decode-boundary-hook.patch, loaded in this process,
 *   AI_FRAME_EXPORT_ENABLED=true) -> FFmpeg per camera running upstream VAS's command ->
 *   RTP into VAS's MediaSoup (real worker, one Producer per camera, 4 viewers each) + HLS to a
 *   temp dir + raw NV12 frames to shared memory.
 * Without a built mediasoup worker (bash scripts/mediasoup-worker.sh builds it) it says so and
 * falls back to the UDP stand-in: FFmpeg's RTP goes to a plain UDP socket instead of MediaSoup.
 * Once per second it prints, per camera, what a reader sees in shared memory: status, fps, last
 * frame id, age of the last frame, geometry, the camera's own frame counter decoded from the
 * picture, and the RTP packets each viewer received (or the UDP socket, in the fallback).
 *
 * Export dir: AI_FRAME_EXPORT_DIR if set, else a fresh directory under /dev/shm (removed at the
 * end). The other AI_FRAME_* variables are honoured as VAS would (README, Configuration).
 * Stops after --seconds N, or on Ctrl-C; with --snapshots DIR it first writes each camera's last
 * frame as DIR/<camera>.png and names the files. Stopping the streams removes the exports, which
 * it checks and prints.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodePng } from '../src/cli/commands/snapshot';
import { parseFrameExportConfig } from '../src/config/frame-export-config';
import { FrameReader } from '../src/reader/frame-reader';
import { CameraSimulator } from '../test/fixtures/camera/camera-simulator';
import { barColourMismatches, decodeFrameCounter } from '../test/fixtures/camera/frame-pattern';
import { CameraRoom } from '../test/fixtures/mediasoup/camera-room';
import { VasMediasoupServer } from '../test/fixtures/mediasoup/vas-mediasoup-server';
import { findMediasoupWorker } from '../test/fixtures/mediasoup/worker-bin';
import { RtpReceiver } from '../test/fixtures/rtp-receiver';
import { prepareHost, repoRoot, type PreparedHost, type RtspPipelineLike } from '../test/fixtures/vas-host';

const USAGE = 'usage: npm run demo [-- --seconds N] [--snapshots DIR]   (default: run until Ctrl-C; no snapshots)';

/** Viewers per camera on MediaSoup (Consumers on PlainTransports to local sockets). */
const VIEWERS = 4;

/** The simulated cameras: two sizes, both exported at AI_FRAME_WIDTH x AI_FRAME_HEIGHT. */
const CAMERAS = [
  { id: 'cam1', width: 1280, height: 720, fps: 25 },
  { id: 'cam2', width: 640, height: 360, fps: 15 },
] as const;

/** Debian packages that provide what is missing (as scripts/setup.sh installs them). */
const GSTREAMER_PACKAGES = [
  'python3-gi', 'gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-ugly',
];
const GSTREAMER_CHECK = `
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
for name in ("appsrc", "x264enc", "rtph264pay", "videoconvert"):
    assert Gst.ElementFactory.find(name) is not None, name
`;

interface Options {
  readonly seconds: number | null;
  /** Where to write one PNG per camera (its last frame) before the streams stop. */
  readonly snapshots: string | null;
}

function parseOptions(argv: readonly string[]): Options | string {
  let seconds: number | null = null;
  let snapshots: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return USAGE;
    if (arg === '--snapshots') {
      snapshots = argv[++i] ?? null;
      if (snapshots === null || snapshots === '') return `--snapshots needs a directory\n${USAGE}`;
      continue;
    }
    const inline = /^--seconds=(.*)$/.exec(arg);
    if (arg === '--seconds' || inline) {
      const text = inline ? inline[1]! : argv[++i];
      const value = Number(text);
      if (text === undefined || !/^[0-9]+(\.[0-9]+)?$/.test(text) || !(value > 0)) return `--seconds needs a positive number, got ${JSON.stringify(text)}\n${USAGE}`;
      seconds = value;
      continue;
    }
    return `unknown argument ${JSON.stringify(arg)}\n${USAGE}`;
  }
  return { seconds, snapshots };
}

/** Debian packages missing for the demo, empty if everything is there. */
function missingPackages(): string[] {
  const missing: string[] = [];
  const ffmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  if (ffmpeg.error || ffmpeg.status !== 0) missing.push('ffmpeg');
  const gst = spawnSync('/usr/bin/python3', ['-c', GSTREAMER_CHECK], { stdio: 'ignore' });
  if (gst.error || gst.status !== 0) {
    if (!fs.existsSync('/usr/bin/python3')) missing.push('python3');
    missing.push(...GSTREAMER_PACKAGES);
  }
  return missing;
}

function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

function pad(text: string | number, width: number): string {
  return String(text).padEnd(width);
}

function padStart(text: string | number, width: number): string {
  return String(text).padStart(width);
}

/** Where a camera's RTP goes: its MediaSoup room (4 viewers), or the UDP stand-in. */
interface RtpTarget {
  readonly port: number;
  readonly ssrc?: number;
  /** "where" for the start-up line. */
  readonly description: string;
  /** Packets received, per viewer (one number for the stand-in). */
  packets(): number[];
  close(): Promise<void>;
}

async function mediasoupTarget(server: VasMediasoupServer, cameraId: string): Promise<RtpTarget> {
  const room = await CameraRoom.open(server, cameraId, VIEWERS);
  const ingest = await room.ingest();
  return {
    port: ingest.port,
    ssrc: ingest.ssrc,
    description: `RTP to MediaSoup PlainTransport 127.0.0.1:${ingest.port} (Producer SSRC ${ingest.ssrc}, ${VIEWERS} viewers)`,
    packets: () => room.viewers.map((v) => v.stats().packets),
    close: () => room.close(),
  };
}

async function udpTarget(): Promise<RtpTarget> {
  const rx = new RtpReceiver();
  const port = await rx.start();
  return {
    port,
    description: `RTP to udp://127.0.0.1:${port} (UDP stand-in, not MediaSoup)`,
    packets: () => [rx.stats().packets],
    close: () => rx.stop(),
  };
}

interface CameraState {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly rtp: RtpTarget;
  readonly hlsDir: string;
  reader: FrameReader | null;
  /** Previous sample: frame id and its timestamp_ns, for fps. */
  lastId: number;
  lastTs: bigint;
  lastGeneration: bigint;
  framesSeen: boolean;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (typeof options === 'string') {
    const help = options === USAGE;
    (help ? process.stdout : process.stderr).write(`${options}\n`);
    return help ? 0 : 2;
  }
  const missing = missingPackages();
  if (missing.length > 0) {
    process.stderr.write(`demo: FFmpeg and GStreamer's RTSP server for /usr/bin/python3 are needed; missing Debian packages: ${missing.join(' ')}.\n` +
      `Install them with: bash scripts/setup.sh   (as root; it runs apt-get install for what is missing)\n`);
    return 1;
  }

  // The flag and the export dir; every other AI_FRAME_* is the user's (or the default).
  const userDir = process.env.AI_FRAME_EXPORT_DIR;
  const ownDir = userDir === undefined || userDir === '';
  const exportDir = ownDir ? fs.mkdtempSync('/dev/shm/vas-demo-') : userDir;
  process.env.AI_FRAME_EXPORT_ENABLED = 'true';
  process.env.AI_FRAME_EXPORT_DIR = exportDir;
  const parsed = parseFrameExportConfig(process.env);
  if (parsed.kind !== 'enabled') {
    process.stderr.write(`demo: ${parsed.kind === 'invalid' ? parsed.error : 'frame export is not enabled'}\n`);
    if (ownDir) fs.rmSync(exportDir, { recursive: true, force: true });
    return 2;
  }
  const config = parsed.config;
  const hlsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-demo-hls-'));
  const simulators: CameraSimulator[] = [];
  const cameras: CameraState[] = [];
  let host: PreparedHost | null = null;
  let pipeline: RtspPipelineLike | null = null;
  let server: VasMediasoupServer | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let stopRequested: (() => void) | null = null;
  let firstSignalAt: number | null = null;
  const onSignal = (): void => {
    // Ctrl-C signals the whole process group; a tool like timeout(1) may deliver the same
    // signal twice. A second one more than a second later means: stop now, skip the cleanup.
    if (firstSignalAt !== null && Date.now() - firstSignalAt > 1000) {
      process.stderr.write('demo: interrupted again, exiting without cleanup\n');
      process.exit(130);
    }
    firstSignalAt ??= Date.now();
    stopRequested?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let ok = true;
  try {
    const worker = findMediasoupWorker(repoRoot());
    const sink = worker.found ? `MediaSoup (${VIEWERS} viewers each) + HLS + shared memory` : 'UDP stand-in + HLS + shared memory';
    console.log(`vas-frame-export demo: ${CAMERAS.length} simulated RTSP cameras -> patched reference VAS host -> ${sink}`);
    console.log(`  AI_FRAME_EXPORT_ENABLED=true AI_FRAME_EXPORT_DIR=${exportDir}${ownDir ? ' (fresh, removed at the end)' : ' (yours)'}`);
    console.log(`  export geometry ${config.width}x${config.height} NV12, ${config.slotCount} slots per camera, libc binding ${config.ffi}`);
    if (worker.found) {
      server = await VasMediasoupServer.start({ workerBin: worker.path });
      console.log(`  MediaSoup: real worker ${worker.path} (pids ${server.workerPids.join(', ')}), VAS's server shape`);
    } else {
      console.log(`  FALLBACK: no mediasoup worker (${worker.reason}).`);
      console.log('  FFmpeg\'s RTP goes to a plain UDP socket instead of MediaSoup: no Producer, no viewers.');
      console.log('  Build the worker once with: bash scripts/mediasoup-worker.sh');
    }
    for (const spec of CAMERAS) {
      const sim = new CameraSimulator();
      simulators.push(sim);
      await sim.start({ width: spec.width, height: spec.height, fps: spec.fps, paths: [spec.id] });
      const rtp = server !== null ? await mediasoupTarget(server, spec.id) : await udpTarget();
      cameras.push({
        ...spec, rtp, hlsDir: path.join(hlsRoot, spec.id), reader: null, lastId: 0, lastTs: 0n, lastGeneration: 0n, framesSeen: false,
      });
      console.log(`  ${spec.id}: camera ${spec.width}x${spec.height} @ ${spec.fps} fps at ${sim.urlFor(spec.id)}, ${rtp.description}`);
    }
    console.log('  preparing the reference VAS host (copy, git apply the patch, compile) ...');
    host = prepareHost({ patched: true });
    pipeline = host.load();
    const startedNs = monotonicNs();
    for (const [index, camera] of cameras.entries()) {
      pipeline.start({
        id: camera.id, rtspUrl: simulators[index]!.urlFor(camera.id), rtpPort: camera.rtp.port, ssrc: camera.rtp.ssrc, hlsDir: camera.hlsDir,
      });
      camera.reader = FrameReader.open(camera.id, { dir: exportDir });
    }
    console.log(`  streams started. Another terminal can read them too: node dist/src/cli/vas-frames.js --dir ${exportDir} watch`);
    console.log(options.seconds === null ? '  Ctrl-C to stop.' : `  stopping after ${options.seconds} s.`);
    console.log('');
    console.log(`${pad('t', 6)}${pad('camera', 8)}${pad('status', 13)}${padStart('fps', 6)}${padStart('last id', 9)}${padStart('age ms', 8)}` +
      `  ${pad('geometry', 15)}${padStart('counter', 8)}  ${pad('bars', 5)} ${server !== null ? 'rtp pkts per viewer' : 'rtp pkts (UDP stand-in)'}`);

    let tick = 0;
    const report = (): void => {
      tick++;
      const now = monotonicNs();
      for (const camera of cameras) {
        const reader = camera.reader!;
        const status = reader.status();
        const frame = reader.latest();
        let fps = '-';
        let lastId = '-';
        let age = '-';
        let geometry = '-';
        let counter = '-';
        let bars = '-';
        if (frame !== null) {
          const { meta, data } = frame;
          if (camera.lastId > 0 && meta.generation === camera.lastGeneration && meta.timestampNs > camera.lastTs) {
            fps = ((meta.frameId - camera.lastId) / (Number(meta.timestampNs - camera.lastTs) / 1e9)).toFixed(1);
          }
          camera.lastId = meta.frameId;
          camera.lastTs = meta.timestampNs;
          camera.lastGeneration = meta.generation;
          camera.framesSeen = true;
          lastId = String(meta.frameId);
          age = (Number(now - meta.timestampNs) / 1e6).toFixed(0);
          geometry = `${meta.width}x${meta.height} ${meta.pixelFormat}`;
          const decoded = decodeFrameCounter(data, meta.width, meta.height);
          counter = decoded === null ? 'unread' : String(decoded);
          bars = barColourMismatches(data, meta.width, meta.height).length === 0 ? 'ok' : 'wrong';
        }
        console.log(`${pad(`${tick}s`, 6)}${pad(camera.id, 8)}${pad(status, 13)}${padStart(fps, 6)}${padStart(lastId, 9)}${padStart(age, 8)}` +
          `  ${pad(geometry, 15)}${padStart(counter, 8)}  ${pad(bars, 5)} ${camera.rtp.packets().join('/')}`);
      }
    };
    await new Promise<void>((resolve) => {
      stopRequested = resolve;
      ticker = setInterval(report, 1000);
      if (options.seconds !== null) setTimeout(resolve, options.seconds * 1000 + 100).unref();
    });
    clearInterval(ticker!);
    ticker = null;

    if (options.snapshots !== null) {
      fs.mkdirSync(options.snapshots, { recursive: true });
      console.log('');
      for (const camera of cameras) {
        const frame = camera.reader!.latest();
        if (frame === null) continue;
        // The vas-frames snapshot's PNG: RGB in the matrix and range the header records.
        const file = path.resolve(options.snapshots, `${camera.id}.png`);
        fs.writeFileSync(file, encodePng(frame));
        console.log(`snapshot: ${file} (camera ${camera.id}, frame ${frame.meta.frameId}, ${frame.meta.width}x${frame.meta.height}, ` +
          `from a ${frame.meta.sourceWidth}x${frame.meta.sourceHeight} camera, ${frame.meta.colorMatrix} ${frame.meta.colorRange})`);
      }
    }

    for (const camera of cameras) {
      if (!camera.framesSeen) {
        ok = false;
        const waited = (Number(monotonicNs() - startedNs) / 1e9).toFixed(1);
        process.stderr.write(`demo: no frame from ${camera.id} in ${waited} s; FFmpeg said: ${pipeline.stderrTail(camera.id).trim() || '(nothing)'}\n`);
      }
    }
  } catch (error) {
    ok = false;
    process.stderr.write(`demo: ${(error as Error).message}\n`);
  } finally {
    if (ticker !== null) clearInterval(ticker);
    console.log('');
    console.log('stopping the streams ...');
    await pipeline?.stopAll();
    for (const camera of cameras) camera.reader?.close();
    const left = fs.existsSync(exportDir) ? fs.readdirSync(exportDir) : [];
    const ours = left.filter((entry) => cameras.some((camera) => entry === camera.id || entry.startsWith(`.tmp-${camera.id}-`)));
    if (ours.length > 0) {
      ok = false;
      console.log(`export dir ${exportDir}: NOT cleaned up, still holds ${ours.join(', ')}`);
    } else if (left.length === 0) {
      console.log(`export dir ${exportDir}: empty (the exports were removed when their streams stopped)`);
    } else {
      console.log(`export dir ${exportDir}: the demo's exports were removed; other entries, not the demo's: ${left.join(', ')}`);
    }
    for (const camera of cameras) await camera.rtp.close();
    server?.close();
    for (const sim of simulators) await sim.stop();
    host?.cleanup();
    fs.rmSync(hlsRoot, { recursive: true, force: true });
    if (ownDir && ours.length === 0) fs.rmSync(exportDir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
