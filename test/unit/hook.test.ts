import { expect } from 'chai';
import { Header, WriterState } from '../../src/layout/frame-export-layout';
import { readStatusBlock } from '../../src/meta/meta-decoder';
import { MetaView } from '../../src/meta/meta-view';
import { createStubbedHook } from '../support/stub-hook';

const GEOMETRY = { width: 64, height: 32 };
const FRAME_SIZE = 64 * 32 * 3 / 2;

describe('hook: live FrameExportHook on the stubbed shm', () => {
  it('exports frames given to onFrame and shows them to Phase 1 observers', () => {
    const { hook, store } = createStubbedHook();
    hook.onStreamStart('cam1', GEOMETRY);
    expect(store.published.has('cam1')).to.equal(true);
    expect(hook.latestFrame('cam1')).to.equal(null);
    const frame = new Uint8Array(FRAME_SIZE);
    for (let i = 1; i <= 10; i++) {
      frame.fill(i);
      hook.onFrame('cam1', frame);
    }
    const latest = hook.latestFrame('cam1')!;
    expect(latest.meta).to.deep.include({ cameraId: 'cam1', frameId: 10, width: 64, height: 32, pixelFormat: 'NV12', dataSize: FRAME_SIZE });
    expect(latest.meta.strides).to.deep.equal([64, 64]);
    expect(latest.data.every((byte) => byte === 10)).to.equal(true);
    hook.close();
  });

  it('drops frames that do not match the geometry, counts them and logs at a bounded rate', () => {
    const { hook, store, logger } = createStubbedHook();
    hook.onStreamStart('cam1', GEOMETRY);
    for (let i = 0; i < 1000; i++) hook.onFrame('cam1', new Uint8Array(FRAME_SIZE + (i % 2 === 0 ? 2 : -2)));
    const meta = new MetaView(store.published.get('cam1')!.meta);
    expect(readStatusBlock(meta)).to.deep.include({ droppedSizeMismatch: 1000, latestFrameId: 0 });
    const lines = logger.lines.filter((line) => line.includes('expected 3072'));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain('NV12 64x32');
    hook.close();
  });

  it('never throws on bad input and reports it in one line', () => {
    const { hook, logger, store } = createStubbedHook();
    const bad = hook as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(() => bad.onFrame!('nope', new Uint8Array(FRAME_SIZE))).not.to.throw();
    expect(() => bad.onStreamStop!('nope')).not.to.throw();
    expect(() => bad.onStreamStart!('../etc', GEOMETRY)).not.to.throw();
    expect(() => bad.onStreamStart!('cam2', { width: 63, height: 32 })).not.to.throw();
    expect(() => bad.onStreamStart!('cam3', null)).not.to.throw();
    expect(() => bad.onStreamStart!(null, GEOMETRY)).not.to.throw();
    hook.onStreamStart('cam4', GEOMETRY);
    expect(() => bad.onFrame!('cam4', 'not a frame')).not.to.throw();
    expect(store.created, 'only the valid camera got an export').to.equal(1);
    expect(logger.lines.some((line) => line.includes('"../etc"') && line.includes('not accepted'))).to.equal(true);
    expect(logger.lines.some((line) => line.includes('cam2') && line.includes('even width'))).to.equal(true);
    for (const line of logger.lines) expect(line).not.to.contain('\n');
    hook.close();
  });

  it('a second start re-creates the export with a new generation; stop unpublishes and releases', () => {
    const { hook, store } = createStubbedHook();
    hook.onStreamStart('cam1', GEOMETRY);
    const first = store.published.get('cam1')!;
    hook.onFrame('cam1', new Uint8Array(FRAME_SIZE));
    const firstGeneration = hook.latestFrame('cam1')!.meta.generation;
    hook.onStreamStart('cam1', GEOMETRY);
    const second = store.published.get('cam1')!;
    expect(second).not.to.equal(first);
    expect(store.released).to.include(first);
    expect(new MetaView(first.meta).u32(Header.STATE)).to.equal(WriterState.STOPPED);
    hook.onFrame('cam1', new Uint8Array(FRAME_SIZE));
    const frame = hook.latestFrame('cam1')!;
    expect(frame.meta.generation).not.to.equal(firstGeneration);
    expect(frame.meta.frameId).to.equal(1);
    hook.onStreamStop('cam1');
    hook.onStreamStop('cam1');
    expect(store.published.has('cam1')).to.equal(false);
    expect(store.released).to.include(second);
    expect(hook.latestFrame('cam1')).to.equal(null);
  });

  it('gives FFmpeg the raw NV12 branch at the configured size, and the source probe, on the fds after VAS stdio', () => {
    const { hook } = createStubbedHook({ AI_FRAME_WIDTH: '320', AI_FRAME_HEIGHT: '180' });
    const output = hook.ffmpegOutput('cam1', 4);
    expect(output.args).to.deep.equal(['-map', '0:v:0', '-fps_mode', 'passthrough', '-vf', 'scale=320:180:flags=bilinear:out_range=tv,format=nv12',
      '-pix_fmt', 'nv12', '-f', 'rawvideo', 'pipe:4',
      '-map', '0:v:0', '-frames:v', '1', '-vf', 'select=eq(n\\,0),setsar=r=1/h:max=65535,format=gray,crop=iw:2:0:0', '-strict', '-1', '-f', 'yuv4mpegpipe', 'pipe:5']);
    expect(output.stdio).to.have.length(2);
    for (const fd of output.stdio) expect(fd).to.be.a('number');
    hook.onStreamStop('cam1');
    hook.close();
  });

  it('writes heartbeats for rings the main thread owns', async () => {
    const { hook, store, clock } = createStubbedHook();
    hook.onStreamStart('cam1', GEOMETRY);
    const meta = new MetaView(store.published.get('cam1')!.meta);
    const before = readStatusBlock(meta)!.heartbeatNs;
    clock.advance(1_000_000_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(readStatusBlock(meta)!.heartbeatNs).to.equal(before + 1_000_000_000n);
    hook.close();
  });
});
