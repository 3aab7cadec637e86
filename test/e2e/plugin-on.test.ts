/**
 * End to end with AI_FRAME_EXPORT_ENABLED=true: the PATCHED reference VAS host (its own
 * process, support/host-process.ts) runs real FFmpeg against real RTSP cameras (GStreamer,
 * CameraSimulator), sends RTP to an RtpReceiver (MediaSoup's PlainTransport stands-in) and
 * HLS to disk, and exports decoded frames to real shared memory under a fresh /dev/shm dir.
 * Readers are separate processes (support/reader-process.ts) that decode the camera's frame
 * counter and check its colour bars in every frame they take.
 *
 * Cameras (one simulator per size, reused by every test):
 *   cam1, cam2   640x360 @ 25 fps   (the export geometry: no scaling)
 *   cam3, cam4  1280x720 @ 15 fps   (scaled by FFmpeg's tap branch to 640x360)
 *
 * The tests run in order and share the host; each one starts what it needs if it is not
 * running. Measured figures are printed as they are taken and again at the end.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraSimulator } from '../fixtures/camera/camera-simulator';
import { COUNTER_MODULUS } from '../fixtures/camera/frame-pattern';
import { RtpReceiver, type RtpStats } from '../fixtures/rtp-receiver';
import { computeLayout, DATA_FILE_NAME, Header, META_FILE_NAME } from '../../src/layout/frame-export-layout';
import { HostProcess } from './support/host-client';
import { SpinReader, WatchReader, mappedExportFiles, monotonicMs, sleep, waitFor } from './support/reader-client';
import type { FrameLine } from './support/reader-process';

const EXPORT_WIDTH = 640;
const EXPORT_HEIGHT = 360;
const SLOTS = 4;
/** Issue bounds. */
const FIRST_FRAME_BOUND_MS = 2000;
const FPS_TOLERANCE = 0.1;
const RTP_GAP_BOUND_MS = 250;
/** Length of each non-interference window. */
const WINDOW_MS = 2000;

interface Camera {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  url: string;
  readonly rx: RtpReceiver;
  hlsDir: string;
}

const CAMERAS: ReadonlyArray<Pick<Camera, 'id' | 'width' | 'height' | 'fps'>> = [
  { id: 'cam1', width: 640, height: 360, fps: 25 },
  { id: 'cam2', width: 640, height: 360, fps: 25 },
  { id: 'cam3', width: 1280, height: 720, fps: 15 },
  { id: 'cam4', width: 1280, height: 720, fps: 15 },
];

/** Step between two counters, modulo the counter's 20 bits. */
function counterStep(from: number, to: number): number {
  return (to - from + COUNTER_MODULUS) % COUNTER_MODULUS;
}

/** Frames per second between two frames of one generation, from ids and timestamp_ns. */
function rate(first: FrameLine, last: FrameLine): number {
  return ((last.id - first.id) * 1000) / (last.ts - first.ts);
}

/**
 * Checks what a reader process saw of one camera: every frame at the export geometry, its
 * counter readable, its bars right, counters increasing with frame ids. Returns the frames the
 * tap lost over the run: frames FFmpeg produced (counter range) minus frames committed (id range).
 */
function expectGoodFrames(frames: readonly FrameLine[], what: string): number {
  expect(frames.length, `${what}: frames seen`).to.be.greaterThan(1);
  const frameSize = computeLayout({ width: EXPORT_WIDTH, height: EXPORT_HEIGHT }, SLOTS).frameSize;
  for (const f of frames) {
    expect({ w: f.w, h: f.h, frameSize: f.frameSize, dataSize: f.dataSize, bytes: f.bytes }, `${what}: geometry of frame ${f.id}`)
      .to.deep.equal({ w: EXPORT_WIDTH, h: EXPORT_HEIGHT, frameSize, dataSize: frameSize, bytes: frameSize });
    expect(f.counter, `${what}: counter of frame ${f.id} unreadable`).to.not.equal(null);
    expect(f.bad, `${what}: colour bars of frame ${f.id}`).to.deep.equal([]);
    expect(f.framesWritten, `${what}: frames_written vs latest_frame_id`).to.equal(f.latestFrameId);
    expect([f.droppedSizeMismatch, f.droppedTruncated], `${what}: dropped counters`).to.deep.equal([0, 0]);
  }
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!;
    const b = frames[i]!;
    expect(b.gen, `${what}: generation changed inside the run`).to.equal(a.gen);
    expect(b.id, `${what}: frame ids`).to.be.greaterThan(a.id);
    const step = counterStep(a.counter!, b.counter!);
    expect(step, `${what}: counter ${a.counter} (id ${a.id}) -> ${b.counter} (id ${b.id})`).to.be.greaterThan(0);
  }
  const first = frames[0]!;
  const last = frames[frames.length - 1]!;
  return counterStep(first.counter!, last.counter!) - (last.id - first.id);
}

function hlsSegments(camera: Camera): string[] {
  try {
    return fs.readdirSync(camera.hlsDir).filter((f) => f.endsWith('.ts')).sort();
  } catch {
    return [];
  }
}

function exportEntries(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

function fmt(ms: number): string {
  return ms.toFixed(1);
}

describe('e2e: flag on (patched host, FFmpeg, RTSP cameras, shared memory, reader processes)', function () {
  this.timeout(120_000);
  const simA = new CameraSimulator();
  const simB = new CameraSimulator();
  const cameras = new Map<string, Camera>();
  let exportDir = '';
  let hlsRoot = '';
  let host: HostProcess | null = null;
  let watcher: WatchReader | null = null;
  const spinners: SpinReader[] = [];
  const measured: string[] = [];

  function note(line: string): void {
    measured.push(line);
    console.log(`      ${line}`);
  }

  function cam(id: string): Camera {
    return cameras.get(id)!;
  }

  /** Starts a camera's stream in the host; resolves with pipeline.start's monotonic ms. */
  async function start(id: string): Promise<number> {
    const camera = cam(id);
    const { startedNs } = await host!.start({ id, rtspUrl: camera.url, rtpPort: camera.rx.port, hlsDir: camera.hlsDir });
    return Number(startedNs / 1000n) / 1000;
  }

  /** Starts the cameras that are not running and waits for fresh frames of each. */
  async function ensureRunning(...ids: string[]): Promise<void> {
    for (const id of ids) if (!(await host!.isRunning(id))) await start(id);
    for (const id of ids) {
      await waitFor(`${id} live with frames`, 15_000, () => {
        const last = watcher!.lastFrame(id);
        return last !== undefined && fs.existsSync(path.join(exportDir, id)) && monotonicMs() - last.t < 1000 ? true : undefined;
      }, () => `host log: ${host!.log}`);
    }
  }

  async function ffmpegDiagnostics(id: string): Promise<string> {
    return `ffmpeg stderr: ${await host!.stderrTail(id).catch(() => '?')}; host log: ${host!.log}`;
  }

  before(async () => {
    exportDir = fs.mkdtempSync('/dev/shm/vas-e2e-on-');
    hlsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-e2e-hls-'));
    const [urlsA, urlsB] = await Promise.all([
      simA.start({ width: 640, height: 360, fps: 25, paths: ['cam1', 'cam2'] }),
      simB.start({ width: 1280, height: 720, fps: 15, paths: ['cam3', 'cam4'] }),
    ]);
    const urls = [...urlsA, ...urlsB];
    for (const [index, spec] of CAMERAS.entries()) {
      const rx = new RtpReceiver();
      await rx.start();
      cameras.set(spec.id, { ...spec, url: urls[index]!, rx, hlsDir: path.join(hlsRoot, spec.id) });
    }
    host = await HostProcess.spawn(true, {
      AI_FRAME_EXPORT_ENABLED: 'true',
      AI_FRAME_EXPORT_DIR: exportDir,
      AI_FRAME_WIDTH: String(EXPORT_WIDTH),
      AI_FRAME_HEIGHT: String(EXPORT_HEIGHT),
      AI_FRAME_BUFFER_CAPACITY: String(SLOTS),
    });
    watcher = await WatchReader.start(exportDir, CAMERAS.map((c) => c.id));
  });

  after(async () => {
    for (const spinner of spinners) await spinner.stop();
    await host?.close();
    await watcher?.stop();
    for (const camera of cameras.values()) await camera.rx.stop();
    await simA.stop();
    await simB.stop();
    if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
    if (hlsRoot) fs.rmSync(hlsRoot, { recursive: true, force: true });
    if (measured.length > 0) console.log(`\n    measured (flag on):\n${measured.map((l) => `      ${l}`).join('\n')}\n`);
  });

  describe('b. frames in shared memory', () => {
    it(`has the first frame in shm within ${FIRST_FRAME_BOUND_MS} ms of pipeline.start, seen by a reader process`, async () => {
      expect(exportEntries(exportDir)).to.deep.equal([]);
      cam('cam1').rx.reset();
      const startedMs = await start('cam1');
      const first = await watcher!.waitForFrame('cam1', 15_000).catch(async (e: unknown) => {
        throw new Error(`${String(e)}; ${await ffmpegDiagnostics('cam1')}`);
      });
      const seenAfter = first.t - startedMs;
      const firstRtp = cam('cam1').rx.stats().firstArrivalMs;
      note(`time to first frame (cam1 640x360@25): ${fmt(seenAfter)} ms from pipeline.start to a reader process holding ` +
        `frame ${first.id} (committed by the tap at ${fmt(first.ts - startedMs)} ms; first RTP packet at ` +
        `${firstRtp === null ? '-' : fmt(firstRtp - startedMs)} ms)`);
      expect(seenAfter).to.be.at.most(FIRST_FRAME_BOUND_MS);
    });

    it('runs at the camera rate within 10%, at the configured geometry (meta and data size)', async () => {
      const camera = cam('cam1');
      await sleep(1000); // past the start-up burst FFmpeg decodes at connection time
      const from = monotonicMs();
      await sleep(3000);
      const frames = watcher!.framesBetween('cam1', from, monotonicMs());
      expect(frames.length, 'frames seen in 3 s').to.be.at.least(10);
      const fps = rate(frames[0]!, frames[frames.length - 1]!);
      note(`export rate cam1: ${fps.toFixed(2)} fps (camera ${camera.fps} fps) over ${frames[frames.length - 1]!.id - frames[0]!.id} frames ` +
        `(ids and timestamp_ns); the reader process saw ${frames.length} of them`);
      expect(Math.abs(fps - camera.fps) / camera.fps, `fps ${fps} vs ${camera.fps}`).to.be.at.most(FPS_TOLERANCE);

      const layout = computeLayout({ width: EXPORT_WIDTH, height: EXPORT_HEIGHT }, SLOTS);
      const metaBytes = fs.readFileSync(path.join(exportDir, 'cam1', META_FILE_NAME));
      expect({
        width: metaBytes.readUInt32LE(Header.WIDTH),
        height: metaBytes.readUInt32LE(Header.HEIGHT),
        frameSize: metaBytes.readUInt32LE(Header.FRAME_SIZE),
        slotCount: metaBytes.readUInt32LE(Header.SLOT_COUNT),
        metaFile: metaBytes.length,
        dataFile: fs.statSync(path.join(exportDir, 'cam1', DATA_FILE_NAME)).size,
      }).to.deep.equal({
        width: EXPORT_WIDTH, height: EXPORT_HEIGHT, frameSize: EXPORT_WIDTH * EXPORT_HEIGHT * 1.5, slotCount: SLOTS,
        metaFile: layout.metaFileSize, dataFile: layout.dataFileSize,
      });
      for (const f of frames) expect([f.w, f.h, f.bytes]).to.deep.equal([EXPORT_WIDTH, EXPORT_HEIGHT, layout.frameSize]);
    });

    it('carries the camera\'s own frames: a reader process decodes every counter, bars right, counters increase with ids; the tap loses none', async () => {
      const camera = cam('cam1');
      const frames = watcher!.framesOf('cam1');
      const lost = expectGoodFrames(frames, 'cam1');
      const first = frames[0]!;
      const last = frames[frames.length - 1]!;
      note(`tap frames lost (cam1): ${lost} (camera counter ${first.counter}..${last.counter}: FFmpeg decoded ` +
        `${counterStep(first.counter!, last.counter!)} frames after the first; frames_written = frame id went ${first.id}..${last.id}: ` +
        `${last.id - first.id} committed); the reader process verified ${frames.length} frames`);
      expect(lost).to.equal(0);
      // RTP and HLS keep going next to the tap.
      const rtp = await camera.rx.waitForPackets(50, 10_000);
      expect(rtp.ssrcs).to.have.length(1);
      await waitFor('HLS segments of cam1', 10_000, () => (fs.existsSync(path.join(camera.hlsDir, 'index.m3u8')) && hlsSegments(camera).length >= 2 ? true : undefined));
    });
  });

  describe('c. non-interference: RTP, HLS and other readers go on', () => {
    const gaps: string[] = [];

    /**
     * Runs `act` (which lasts the window) on cam1 and checks, for the window: no RTP arrival gap
     * over 250 ms, new HLS segments, and the healthy reader process's frame ids advancing.
     */
    async function window(label: string, act: () => Promise<void>): Promise<{ rtp: RtpStats; frames: FrameLine[] }> {
      const camera = cam('cam1');
      await ensureRunning('cam1');
      const segmentsBefore = new Set(hlsSegments(camera));
      camera.rx.reset();
      const from = monotonicMs();
      await act();
      const to = monotonicMs();
      const rtp = camera.rx.stats();
      const frames = watcher!.framesBetween('cam1', from, to);
      const newSegments = await waitFor(`a new HLS segment (${label})`, 5000, () => {
        const fresh = hlsSegments(camera).filter((s) => !segmentsBefore.has(s));
        return fresh.length > 0 ? fresh : undefined;
      });
      const fps = frames.length >= 2 ? rate(frames[0]!, frames[frames.length - 1]!) : 0;
      const lost = expectGoodFrames(frames, `cam1 during ${label}`);
      const line = `${label}: RTP max gap ${fmt(rtp.maxGapMs)} ms over ${fmt(to - from)} ms (${rtp.packets} packets, ${rtp.lost} lost); ` +
        `healthy reader ids ${frames[0]?.id}..${frames[frames.length - 1]?.id} (${fps.toFixed(1)} fps by timestamp_ns), ` +
        `tap frames lost ${lost}; new HLS segments ${newSegments.join(',')}`;
      gaps.push(line);
      note(line);
      expect(rtp.packets, 'RTP packets in the window').to.be.greaterThan(0);
      expect(rtp.maxGapMs, 'largest RTP arrival gap').to.be.at.most(RTP_GAP_BOUND_MS);
      expect(frames[frames.length - 1]!.id, 'healthy reader frame ids advance').to.be.greaterThan(frames[0]!.id);
      expect(lost, 'frames lost by the tap in the window').to.equal(0);
      return { rtp, frames };
    }

    it('baseline (nothing stalled)', async () => {
      await window('baseline, no stall', () => sleep(WINDOW_MS));
    });

    it('(i) a reader process SIGSTOPped with both files mapped', async () => {
      const spinner = await SpinReader.start(exportDir, 'cam1');
      spinners.push(spinner);
      await window('reader SIGSTOPped', async () => {
        spinner.signal('SIGSTOP');
        const state = fs.readFileSync(`/proc/${spinner.pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
        const mapped = mappedExportFiles(spinner.pid, exportDir).map((f) => path.basename(f)).sort();
        expect(mapped, 'files the stopped reader has mapped').to.deep.equal([DATA_FILE_NAME, META_FILE_NAME]);
        await sleep(WINDOW_MS);
        await waitFor('the reader to be stopped', 1000, () => {
          const now = fs.readFileSync(`/proc/${spinner.pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
          return now === 'T' || now === 't' ? true : undefined;
        }, () => `state was ${state}`);
      });
      await spinner.stop();
    });

    it('(ii) a reader process killed -9 mid-read', async () => {
      const spinner = await SpinReader.start(exportDir, 'cam1');
      spinners.push(spinner);
      await window('reader killed -9', async () => {
        const until = monotonicMs() + WINDOW_MS;
        await sleep(300);
        spinner.signal('SIGKILL');
        await spinner.exited();
        expect(spinner.child.signalCode).to.equal('SIGKILL');
        await sleep(until - monotonicMs());
      });
    });

    it('(iii) the host\'s main thread busy-looping for 2 s', async () => {
      let busy = { startedNs: 0n, endedNs: 0n };
      const { frames } = await window('host main thread busy 2 s', async () => {
        busy = await host!.busy(WINDOW_MS);
      });
      const from = Number(busy.startedNs / 1000n) / 1000;
      const to = Number(busy.endedNs / 1000n) / 1000;
      expect(to - from, 'the stall lasted').to.be.at.least(WINDOW_MS - 1);
      // The tap thread committed frames while the main thread was stuck.
      const committed = frames.filter((f) => f.ts > from && f.ts < to);
      note(`during the stall the tap committed frames ${committed[0]?.id}..${committed[committed.length - 1]?.id} ` +
        `(${committed.length} seen by the healthy reader while VAS's main thread spun)`);
      expect(committed.length, 'frames committed during the stall').to.be.greaterThan(1);
    });

    after(() => {
      if (gaps.length > 0) console.log(`\n      RTP max gap summary:\n${gaps.map((g) => `        ${g}`).join('\n')}`);
    });
  });

  describe('d. stop and restart', () => {
    it('stop removes the files; a reader reports not-present, then restarted and live after a new start', async () => {
      await ensureRunning('cam1');
      const before = watcher!.lastFrame('cam1')!;
      const stopAt = monotonicMs();
      await host!.stop('cam1');
      expect(exportEntries(exportDir), 'export dir after stopping cam1').to.not.include('cam1');
      expect(exportEntries(exportDir).filter((e) => e.startsWith('.')), 'temporary dirs').to.deep.equal([]);
      await watcher!.waitForStatus('cam1', 'not-present', 5000, stopAt);
      const restartAt = await start('cam1');
      const restarted = await watcher!.waitForStatus('cam1', 'restarted', 10_000, restartAt);
      const live = await watcher!.waitForStatus('cam1', 'live', 10_000, restarted.t);
      const frame = await watcher!.waitForFrame('cam1', 10_000, (f) => f.gen !== before.gen, restartAt);
      note(`restart of cam1: not-present after stop, 'restarted' ${fmt(restarted.t - restartAt)} ms and first frame ` +
        `${fmt(frame.t - restartAt)} ms after start; generation ${before.gen} -> ${frame.gen}`);
      expect(live.t).to.be.at.least(restarted.t);
      expect(frame.id, 'frame ids restart with the generation').to.be.lessThan(before.id);
      expect(counterStep(before.counter!, frame.counter!), 'the camera went on counting').to.be.greaterThan(0);
      const statuses = watcher!.statusesOf('cam1').filter((s) => s.t >= stopAt).map((s) => s.status);
      expect(statuses.slice(0, 3)).to.deep.equal(['not-present', 'restarted', 'live']);
    });
  });

  describe('e. camera size differs from AI_FRAME_WIDTH x AI_FRAME_HEIGHT', () => {
    it('a 1280x720 camera yields correct 640x360 frames (counter decodes, bars right at the scaled size)', async () => {
      cam('cam3').rx.reset();
      const startedMs = await start('cam3');
      const first = await watcher!.waitForFrame('cam3', 15_000).catch(async (e: unknown) => {
        throw new Error(`${String(e)}; ${await ffmpegDiagnostics('cam3')}`);
      });
      await sleep(3000);
      const frames = watcher!.framesOf('cam3');
      const lost = expectGoodFrames(frames, 'cam3 (1280x720 -> 640x360)');
      const steady = frames.filter((f) => f.t >= first.t + 1000);
      const fps = rate(steady[0]!, steady[steady.length - 1]!);
      const firstRtp = cam('cam3').rx.stats().firstArrivalMs;
      note(`cam3 1280x720@15 exported at ${EXPORT_WIDTH}x${EXPORT_HEIGHT}: first frame seen ${fmt(first.t - startedMs)} ms after start ` +
        `(first RTP packet ${firstRtp === null ? '-' : fmt(firstRtp - startedMs)} ms), ` +
        `${fps.toFixed(2)} fps, ${frames.length} frames verified by the reader process, tap frames lost ${lost}`);
      expect(lost).to.equal(0);
      expect(Math.abs(fps - 15) / 15).to.be.at.most(FPS_TOLERANCE);
    });
  });

  describe('f. four cameras at once, two sizes, each with its own export', () => {
    it('all four export, with RTP and HLS each', async () => {
      await ensureRunning('cam1', 'cam2', 'cam3', 'cam4');
      expect(exportEntries(exportDir)).to.deep.equal(['cam1', 'cam2', 'cam3', 'cam4']);
      for (const id of ['cam1', 'cam2', 'cam3', 'cam4']) {
        const camera = cam(id);
        camera.rx.reset();
        await camera.rx.waitForPackets(20, 10_000);
        await waitFor(`HLS of ${id}`, 10_000, () => (hlsSegments(camera).length >= 1 ? true : undefined));
        const from = monotonicMs();
        await watcher!.waitForFrame(id, 5000, () => true, from);
      }
      const generations = new Set(['cam1', 'cam2', 'cam3', 'cam4'].map((id) => watcher!.lastFrame(id)!.gen));
      expect(generations.size, 'one generation per export').to.equal(4);
    });

    for (const id of ['cam2', 'cam4', 'cam1', 'cam3']) {
      it(`stopping ${id} leaves the others advancing; restarting it gives it a new generation`, async () => {
        const others = ['cam1', 'cam2', 'cam3', 'cam4'].filter((o) => o !== id);
        await ensureRunning('cam1', 'cam2', 'cam3', 'cam4');
        const lastOld = watcher!.lastFrame(id)!;
        const oldGen = lastOld.gen;
        const before = new Map(others.map((o) => [o, watcher!.lastFrame(o)!]));
        await host!.stop(id);
        const stoppedAt = monotonicMs();
        expect(exportEntries(exportDir)).to.deep.equal(others);
        await sleep(1000);
        for (const o of others) {
          const after = watcher!.framesBetween(o, stoppedAt, monotonicMs());
          expect(after.length, `${o} frames while ${id} was stopped`).to.be.greaterThan(1);
          expect(after[after.length - 1]!.id, `${o} ids advance`).to.be.greaterThan(before.get(o)!.id);
          expect(after.every((f) => f.gen === before.get(o)!.gen), `${o} keeps its generation`).to.equal(true);
        }
        const restartAt = await start(id);
        const frame = await watcher!.waitForFrame(id, 15_000, (f) => f.gen !== oldGen, restartAt);
        expect(frame.id, 'frame ids restart with the generation').to.be.lessThan(lastOld.id);
        for (const o of others) expect(watcher!.lastFrame(o)!.gen, `${o} untouched by ${id}'s restart`).to.equal(before.get(o)!.gen);
        expect(exportEntries(exportDir)).to.deep.equal(['cam1', 'cam2', 'cam3', 'cam4']);
      });
    }

    it('every camera\'s frames verified by the reader process; stopAll leaves the export dir empty', async () => {
      for (const id of ['cam1', 'cam2', 'cam3', 'cam4']) {
        const frames = watcher!.framesOf(id);
        // Per generation: the frames of one run of FFmpeg.
        const byGen = new Map<string, FrameLine[]>();
        for (const f of frames) byGen.set(f.gen, [...(byGen.get(f.gen) ?? []), f]);
        let lost = 0;
        let count = 0;
        for (const [gen, run] of byGen) {
          if (run.length < 2) continue;
          lost += expectGoodFrames(run, `${id} generation ${gen}`);
          count += run.length;
        }
        note(`${id}: ${byGen.size} generations, ${count} frames verified by the reader process, tap frames lost ${lost}`);
        expect(lost).to.equal(0);
      }
      await host!.stopAll();
      expect(exportEntries(exportDir)).to.deep.equal([]);
    });
  });
});
