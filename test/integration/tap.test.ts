import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../../plugin/index';
import { FrameReader } from '../../src/reader/frame-reader';
import { verifyFrame } from '../support/frame-stamp';
import { MemoryLogger } from '../support/live-container';

const FEEDER = path.join(__dirname, '..', 'support', 'pipe-feeder.js');
const WIDTH = 320;
const HEIGHT = 180;

function startFeeder(hook: DecodeBoundaryHook, camera: string, frames: number, fps: number, mode = ''): ChildProcess {
  const stdio: Array<'ignore' | 'inherit' | number> = ['ignore', 'ignore', 'inherit'];
  const tap = hook.ffmpegOutput(camera, stdio.length);
  expect(tap.args).to.include('pipe:3');
  const child = spawn(process.execPath, [FEEDER, String(WIDTH), String(HEIGHT), String(frames), String(fps), mode], {
    stdio: [...stdio, ...tap.stdio],
  });
  hook.onProcessSpawned(camera, child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return condition();
}

for (const ffi of ['koffi', 'ffi-rs']) {
  describe(`integration: FFmpeg pipe tap (tap thread, ${ffi})`, function () {
    this.timeout(60_000);
    let dir: string;
    let hook: DecodeBoundaryHook;
    let logger: MemoryLogger;

    beforeEach(() => {
      dir = fs.mkdtempSync('/dev/shm/vas-tap-');
      logger = new MemoryLogger();
      hook = loadDecodeBoundaryHook({
        AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_EXPORT_FFI: ffi,
        AI_FRAME_WIDTH: String(WIDTH), AI_FRAME_HEIGHT: String(HEIGHT), AI_FRAME_BUFFER_CAPACITY: '4',
      }, logger);
    });
    afterEach(() => {
      hook.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('reassembles frames from arbitrary partial reads: every frame, no drift, none lost', async () => {
      const reader = FrameReader.open('cam1', { dir });
      const feeder = startFeeder(hook, 'cam1', 2000, 0);
      let accepted = 0;
      let mismatched = 0;
      const poll = setInterval(() => {
        const frame = reader.latest();
        if (frame === null) return;
        accepted++;
        if (verifyFrame(frame.data) !== frame.meta.frameId) mismatched++;
      }, 1);
      await exited(feeder);
      expect(await until(() => reader.info()?.status.latestFrameId === 2000, 5000), 'all 2000 frames committed').to.equal(true);
      clearInterval(poll);
      const info = reader.info()!;
      expect(info.status).to.deep.include({ framesWritten: 2000, droppedTruncated: 0, droppedSizeMismatch: 0 });
      expect(verifyFrame(reader.latest()!.data)).to.equal(2000);
      expect(mismatched, 'a frame whose stamp is not its id: boundaries drifted or torn').to.equal(0);
      expect(accepted).to.be.greaterThan(0);
      reader.close();
    });

    it('counts a frame cut short by the end of the stream and never shows it', async () => {
      const reader = FrameReader.open('cam1', { dir });
      await exited(startFeeder(hook, 'cam1', 10, 0, 'truncate'));
      expect(await until(() => reader.info()?.status.droppedTruncated === 1, 5000)).to.equal(true);
      expect(reader.info()!.status).to.deep.include({ framesWritten: 10, latestFrameId: 10 });
      expect(verifyFrame(reader.latest()!.data)).to.equal(10);
      expect(await until(() => logger.lines.some((line) => line.includes('stream ended inside a frame')), 2000)).to.equal(true);
      reader.close();
    });

    it('keeps draining while the main event loop is blocked', async () => {
      const reader = FrameReader.open('cam1', { dir });
      const feeder = startFeeder(hook, 'cam1', 60, 30);
      expect(await until(() => reader.latestFrameId() >= 3, 5000)).to.equal(true);
      const before = reader.latestFrameId();
      const blockedUntil = Date.now() + 1000;
      let during = before;
      while (Date.now() < blockedUntil) during = reader.latestFrameId(); // no await: the loop is stalled
      expect(during - before, `frames committed during a 1 s stall (from ${before} to ${during})`).to.be.at.least(15);
      feeder.kill();
      await exited(feeder);
      reader.close();
    });

    it('stopping the export while the producer still writes never breaks its pipe', async () => {
      const reader = FrameReader.open('cam1', { dir });
      const feeder = startFeeder(hook, 'cam1', 45, 30);
      expect(await until(() => reader.latestFrameId() >= 3, 5000)).to.equal(true);
      hook.onStreamStop('cam1');
      expect(fs.readdirSync(dir)).to.deep.equal([]);
      const code = await new Promise<number | null>((resolve) => (feeder.exitCode !== null ? resolve(feeder.exitCode) : feeder.once('exit', resolve)));
      expect(code, 'the producer (FFmpeg in VAS) must not get EPIPE').to.equal(0);
      reader.close();
    });

    it('if the tap thread dies, its pipes are still drained: the producer never blocks or gets EPIPE', async () => {
      const reader = FrameReader.open('cam1', { dir });
      // 300 frames of 86 KB (26 MB) at 100 fps: far more than a pipe holds, so an undrained pipe would block.
      const feeder = startFeeder(hook, 'cam1', 300, 100);
      expect(await until(() => reader.latestFrameId() >= 3, 5000)).to.equal(true);
      const worker = (hook as unknown as { tap: { worker: { terminate(): Promise<number> } } }).tap.worker;
      await worker.terminate();
      const code = await new Promise<number | null>((resolve) => (feeder.exitCode !== null ? resolve(feeder.exitCode) : feeder.once('exit', resolve)));
      expect(code, 'the producer finished writing every frame').to.equal(0);
      expect(logger.lines.some((line) => line.includes('tap thread exited'))).to.equal(true);
      reader.close();
    });

    it('the main thread\'s heartbeat timer runs only while it owns a ring (not while the tap thread does)', async () => {
      const timer = () => (hook as unknown as { heartbeatTimer: NodeJS.Timeout | null }).heartbeatTimer;
      const reader = FrameReader.open('cam1', { dir });
      const feeder = startFeeder(hook, 'cam1', 30, 30);
      expect(await until(() => reader.latestFrameId() >= 3, 5000)).to.equal(true);
      expect(timer(), 'the tap thread beats for its own ring').to.equal(null);
      await exited(feeder);
      expect(await until(() => reader.status() === 'idle', 5000)).to.equal(true);
      expect(timer(), 'idle: the main thread owns the ring again and beats for it').not.to.equal(null);
      reader.close();
    });

    it('a restart re-creates the export with a new generation; stop removes it', async () => {
      const reader = FrameReader.open('cam1', { dir });
      await exited(startFeeder(hook, 'cam1', 5, 0));
      expect(await until(() => reader.latestFrameId() === 5, 5000)).to.equal(true);
      const first = reader.latest()!.meta.generation;
      // The producer (FFmpeg) has ended: no frame will come until a restart. Before format v2 the
      // heartbeats kept this export 'live'.
      expect(await until(() => reader.status() === 'idle', 5000), 'idle once the stream ended').to.equal(true);
      expect(verifyFrame(reader.latest()!.data), 'the last frames stay readable while idle').to.equal(5);
      await exited(startFeeder(hook, 'cam1', 3, 0));
      expect(await until(() => reader.status() === 'restarted', 5000)).to.equal(true);
      expect(await until(() => reader.latestFrameId() === 3, 5000)).to.equal(true);
      expect(reader.latest()!.meta.generation).not.to.equal(first);
      hook.onStreamStop('cam1');
      expect(reader.status()).to.equal('not-present');
      expect(fs.readdirSync(dir)).to.deep.equal([]);
      reader.close();
    });
  });
}
