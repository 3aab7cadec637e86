/**
 * Fault isolation at every seam of the plugin (issue: "no failure inside it reaches VAS"). A host
 * process (fixtures/fault-host.ts) runs real FFmpeg per camera, each writing RTP to a UDP
 * receiver here, with the live hook on a libc that fails on demand. For every fault:
 *   - the faulty camera's FFmpeg keeps running and keeps sending RTP (its tap pipe is drained,
 *     never closed under it and never left full);
 *   - the host sees no uncaught exception and no unhandled rejection;
 *   - the other camera keeps exporting frames.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import { FrameReader } from '../../src/reader/frame-reader';
import { RtpReceiver } from '../fixtures/rtp-receiver';
import { NodeChild } from './support/ipc';
import { fixture, sleep, waitFor, waitForAsync } from './support/harness';

interface HostState {
  readonly uncaught: string[];
  readonly lines: string[];
  readonly running: Record<string, boolean>;
}

/** Long enough for a tap pipe that nobody drains to fill up (320x240 NV12 at 25 fps is 2.9 MB/s). */
const WATCH_MS = 2500;

describe('hardening: fault isolation (real FFmpeg, injected failures)', function () {
  this.timeout(120_000);
  let dir: string;
  let host: NodeChild;
  const receivers = new Map<string, RtpReceiver>();
  const readers: FrameReader[] = [];

  async function startHost(wrapper?: readonly string[]): Promise<void> {
    host = wrapper === undefined ? NodeChild.fork(fixture('fault-host')) : NodeChild.spawnWrapped(wrapper, fixture('fault-host'));
    await host.call('load', { env: { AI_FRAME_EXPORT_DIR: dir, AI_FRAME_WIDTH: '320', AI_FRAME_HEIGHT: '240' } });
  }

  async function receiver(id: string): Promise<number> {
    const rx = new RtpReceiver();
    receivers.set(id, rx);
    return rx.start();
  }

  function reader(id: string): FrameReader {
    const opened = FrameReader.open(id, { dir });
    readers.push(opened);
    return opened;
  }

  /** RTP keeps arriving in every half of the window, FFmpeg runs, the host saw nothing uncaught. */
  async function expectUnharmed(id: string): Promise<void> {
    const rx = receivers.get(id)!;
    rx.reset();
    await sleep(WATCH_MS / 2);
    const first = rx.stats().packets;
    await sleep(WATCH_MS / 2);
    const second = rx.stats().packets - first;
    const state = await host.call<HostState>('state');
    expect(state.uncaught, 'uncaught in the host').to.deep.equal([]);
    expect(state.running[id], `${id}: FFmpeg still running`).to.equal(true);
    expect(first, `${id}: RTP packets in the first ${WATCH_MS / 2} ms`).to.be.greaterThan(0);
    expect(second, `${id}: RTP packets in the second ${WATCH_MS / 2} ms`).to.be.greaterThan(0);
  }

  async function expectExporting(id: string): Promise<void> {
    const cameraReader = readers.find((r) => r.cameraId === id) ?? reader(id);
    const before = await waitFor(`${id} exporting`, 15_000, () => (cameraReader.latestFrameId() > 0 ? cameraReader.latestFrameId() : undefined));
    await sleep(500);
    expect(cameraReader.status(), `${id} status`).to.equal('live');
    expect(cameraReader.latestFrameId(), `${id}: new frames keep coming`).to.be.greaterThan(before);
  }

  beforeEach(() => {
    dir = fs.mkdtempSync('/dev/shm/vas-fault-');
  });

  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    if (host !== undefined) {
      await host.call('shutdown').catch(() => undefined);
      await host.dispose();
    }
    for (const rx of receivers.values()) await rx.stop();
    receivers.clear();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const method of ['pipe', 'mmapShared'] as const) {
    it(`${method} fails while creating a camera's export: it starts without the tap, the other camera exports`, async () => {
      await startHost();
      await host.call('start', { id: 'camB', rtpPort: await receiver('camB') });
      await host.call('fail', { method, count: 1 });
      const args = await host.call<string[]>('start', { id: 'camA', rtpPort: await receiver('camA') });
      expect(args, 'no tap arguments for a camera without an export').to.deep.equal([]);
      const state = await host.call<HostState>('state');
      expect(state.lines.some((line) => line.includes('ffmpegOutput("camA")') && line.includes('errno 24')), state.lines.join('\n')).to.equal(true);
      await expectUnharmed('camA');
      expect(reader('camA').status(), 'no export waits for frames that cannot come').to.equal('not-present');
      await expectExporting('camB');
    });
  }

  it('fcntl fails when the tap thread takes the pipe: the pipe is drained on the main thread', async () => {
    await startHost();
    await host.call('start', { id: 'camB', rtpPort: await receiver('camB') });
    await host.call('fail', { method: 'fcntl', count: 1 });
    const args = await host.call<string[]>('start', { id: 'camA', rtpPort: await receiver('camA') });
    expect(args.length, 'camA got its tap').to.be.greaterThan(0);
    const state = await host.call<HostState>('state');
    expect(state.lines.some((line) => line.includes('camera camA: the tap thread cannot take its pipe'))).to.equal(true);
    await expectUnharmed('camA');
    expect(reader('camA').status(), 'camA has its export but no frame can come').to.equal('idle');
    await expectExporting('camB');
  });

  it('munmap fails when a camera stops: nothing escapes, its FFmpeg and the other camera go on', async () => {
    await startHost();
    await host.call('start', { id: 'camB', rtpPort: await receiver('camB') });
    await host.call('start', { id: 'camA', rtpPort: await receiver('camA') });
    await expectExporting('camA');
    await host.call('fail', { method: 'munmap', count: 2 });
    await host.call('stop', { id: 'camA' });
    await expectUnharmed('camA');
    await expectExporting('camB');
  });

  it('an attach the tap thread cannot map fails for that camera only (the tap thread goes on)', async () => {
    await startHost();
    await host.call('start', { id: 'camB', rtpPort: await receiver('camB') });
    await expectExporting('camB');
    await host.call('startPoisoned', { id: 'camA', rtpPort: await receiver('camA') });
    await waitForAsync('the poisoned attach to be refused', 10_000, async () => {
      const { lines } = await host.call<HostState>('state');
      return lines.some((line) => line.includes('poisoned camA released: the tap thread could not take its pipe')) ? true : undefined;
    });
    await expectUnharmed('camA');
    await expectExporting('camB');
  });

  it('the tap thread is terminated mid-stream: every FFmpeg keeps writing, exports go idle', async () => {
    await startHost();
    await host.call('start', { id: 'camA', rtpPort: await receiver('camA') });
    await host.call('start', { id: 'camB', rtpPort: await receiver('camB') });
    await expectExporting('camA');
    await expectExporting('camB');
    await host.call('killTapThread');
    await expectUnharmed('camA');
    await expectUnharmed('camB');
    for (const id of ['camA', 'camB']) expect(readers.find((r) => r.cameraId === id)!.status(), id).to.equal('idle');
  });

  it('file descriptors run out (RLIMIT_NOFILE): the camera starts without the tap, or its pipe is drained', async () => {
    await startHost(['prlimit', '--nofile=256:256']);
    // Out of fds when the (not yet started) tap thread should take the first camera's pipe:
    // drained on the main thread, FFmpeg unaffected.
    const tapArgs = await host.call<number>('onProcessSpawnedAfterExhaustion', { id: 'camC', rtpPort: await receiver('camC') });
    expect(tapArgs).to.be.greaterThan(0);
    await expectUnharmed('camC');
    // With fds back, the next camera exports.
    await host.call('start', { id: 'camB', rtpPort: await receiver('camB') });
    await expectExporting('camB');
    // Out of fds while a camera's export and pipe are created: FFmpeg starts unchanged.
    const held = await host.call<number>('exhaustFds');
    expect(held).to.be.greaterThan(0);
    const args = await host.call<string[]>('start', { id: 'camA', rtpPort: await receiver('camA'), spawnAfterFdsReleased: true });
    expect(args).to.deep.equal([]);
    await expectUnharmed('camA');
    await expectExporting('camB');
  });
});
