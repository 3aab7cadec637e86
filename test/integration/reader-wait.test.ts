import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../../plugin/index';
import { nv12FrameSize } from '../../src/layout/frame-export-layout';
import { FrameReader } from '../../src/reader/frame-reader';
import { MemoryLogger } from '../support/live-container';

const WAIT_WORKER = path.join(__dirname, '..', 'support', 'wait-worker.js');
const WIDTH = 64;
const HEIGHT = 32;

/**
 * The blocking wait of format spec 5.4, end to end on real shared memory: the writer bumps the
 * futex word and wakes; readers sleep in FUTEX_WAIT instead of polling.
 */
for (const ffi of ['koffi', 'ffi-rs'] as const) {
  describe(`integration: readers wait on the futex word (${ffi})`, function () {
    this.timeout(60_000);
    let dir: string;
    let hook: DecodeBoundaryHook;
    let timer: NodeJS.Timeout | null = null;

    beforeEach(() => {
      dir = fs.mkdtempSync('/dev/shm/vas-wait-');
      hook = loadDecodeBoundaryHook({
        AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_EXPORT_FFI: ffi,
        AI_FRAME_WIDTH: String(WIDTH), AI_FRAME_HEIGHT: String(HEIGHT),
      }, new MemoryLogger());
      hook.onStreamStart('cam1', { width: WIDTH, height: HEIGHT });
    });

    afterEach(() => {
      if (timer !== null) clearInterval(timer);
      timer = null;
      hook.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function writeEvery(ms: number): void {
      const frame = new Uint8Array(nv12FrameSize(WIDTH, HEIGHT));
      timer = setInterval(() => hook.onFrame('cam1', frame), ms);
    }

    it('waitNext in a worker thread gets every frame of a 30 fps writer, in order, with about one wait per frame', async () => {
      const worker = new Worker(WAIT_WORKER, { workerData: { dir, camera: 'cam1', frames: 30 }, env: { ...process.env, AI_FRAME_EXPORT_FFI: ffi } });
      const messages: Array<{ ready?: boolean; ids?: number[]; futexWaits?: number; timeouts?: number }> = [];
      const done = new Promise<{ ids: number[]; futexWaits: number; timeouts: number }>((resolve, reject) => {
        worker.on('message', (message) => {
          messages.push(message);
          if (message.ready) writeEvery(33);
          else resolve(message);
        });
        worker.on('error', reject);
      });
      const result = await done;
      await worker.terminate();
      expect(result.timeouts).to.equal(0);
      expect(result.ids).to.have.length(30);
      for (let i = 1; i < result.ids.length; i++) expect(result.ids[i]! > result.ids[i - 1]!, `ids ${result.ids.join(',')}`).to.equal(true);
      // A 1 ms polling loop would make about 33 calls per frame; the futex wait about one
      // (plus one re-check every 100 ms of waiting).
      expect(result.futexWaits, JSON.stringify(result)).to.be.at.most(result.ids.length * 2);
    });

    it('frames() delivers new frames on the main thread while the event loop stays free', async () => {
      const reader = FrameReader.open('cam1', { dir, ffi });
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      writeEvery(20);
      const ids: number[] = [];
      for await (const frame of reader.frames()) {
        ids.push(frame.meta.frameId);
        if (ids.length === 15) break;
      }
      clearInterval(ticker);
      reader.close();
      for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).to.equal(true);
      expect(ticks, 'timers ran while frames() waited').to.be.greaterThan(10);
    });

    it('waitNext returns each frame once, then null at its timeout; also with no export to wait on', () => {
      const reader = FrameReader.open('cam1', { dir, ffi });
      expect(reader.waitNext(150), 'no frame yet').to.equal(null);
      hook.onFrame('cam1', new Uint8Array(nv12FrameSize(WIDTH, HEIGHT)));
      expect(reader.waitNext(150)?.meta.frameId).to.equal(1);
      expect(reader.waitNext(150), 'nothing newer than frame 1').to.equal(null);
      const target = new Uint8Array(nv12FrameSize(WIDTH, HEIGHT));
      hook.onFrame('cam1', new Uint8Array(target.length).fill(9));
      expect(reader.waitNextInto(target, 150), 'waitNextInto copies frame 2 into the caller\'s buffer').to.equal(2);
      expect(target.every((byte) => byte === 9)).to.equal(true);
      expect(reader.lastRead!.frameId).to.equal(2);
      expect(reader.waitNextInto(target, 150), 'nothing newer than frame 2').to.equal(0);
      const absent = FrameReader.open('no-such-camera', { dir, ffi });
      expect(absent.waitNext(150)).to.equal(null);
      expect(absent.status()).to.equal('not-present');
      absent.close();
      reader.close();
    });
  });
}
