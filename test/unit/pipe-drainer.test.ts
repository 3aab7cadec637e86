import { expect } from 'chai';
import { EAGAIN, type LibC } from '../../src/ffi/libc';
import { ColorMatrix, Header, computeLayout } from '../../src/layout/frame-export-layout';
import { MetaEncoder } from '../../src/meta/meta-encoder';
import { MetaView } from '../../src/meta/meta-view';
import { FrameRing } from '../../src/ring/frame-ring';
import { NO_WAKER } from '../../src/ring/futex-waker';
import { PipeDrainer } from '../../src/tap/pipe-drainer';
import { FakeClock, FixedWriterIdentity } from '../support/fake-clock';

/** A pipe as readv(2) sees it: bytes available now (none: EAGAIN), 0 at end of stream. */
class ScriptedPipe {
  available = 0;
  ended = false;
  readonly calls: number[] = [];

  readv(_fd: number, iov: Int32Array): number {
    const wanted = iov[2]!;
    const count = Math.min(wanted, this.available);
    this.calls.push(count);
    if (count === 0) return this.ended ? 0 : -EAGAIN;
    this.available -= count;
    return count;
  }
}

function drainerOver(pipe: ScriptedPipe) {
  const layout = computeLayout({ width: 64, height: 32 }, 3);
  const meta = new MetaView(new ArrayBuffer(layout.metaFileSize));
  new MetaEncoder(new FakeClock(), new FixedWriterIdentity()).encode(meta, layout, ColorMatrix.BT709);
  const ring = new FrameRing(meta, new Uint8Array(layout.dataFileSize), layout, new FakeClock(), NO_WAKER);
  const libc = { readv: (fd: number, iov: Int32Array) => pipe.readv(fd, iov) } as unknown as LibC;
  return { drainer: new PipeDrainer(1, 99, ring, 0x7f0000000000, libc), frameSize: layout.frameSize, committed: () => meta.u64Number(Header.FRAMES_WRITTEN) };
}

describe('tap: PipeDrainer reads', () => {
  it('stops at a short read: the pipe is empty, a second read could only say EAGAIN', () => {
    const pipe = new ScriptedPipe();
    const { drainer, frameSize, committed } = drainerOver(pipe);
    pipe.available = 1000;
    expect(drainer.drain()).to.equal('open');
    expect(pipe.calls).to.deep.equal([1000]);
    pipe.available = frameSize - 1000 + frameSize + 100;
    pipe.calls.length = 0;
    expect(drainer.drain()).to.equal('open');
    expect(pipe.calls, 'the rest of frame 1, all of frame 2, then 100 bytes of frame 3').to.deep.equal([frameSize - 1000, frameSize, 100]);
    expect(committed()).to.equal(2);
  });

  it('reads on after a read that ended a frame exactly, and reports the end of the stream', () => {
    const pipe = new ScriptedPipe();
    const { drainer, frameSize, committed } = drainerOver(pipe);
    pipe.available = frameSize;
    expect(drainer.drain()).to.equal('open');
    expect(committed()).to.equal(1);
    expect(pipe.calls, 'a whole frame, then EAGAIN').to.deep.equal([frameSize, 0]);
    pipe.ended = true;
    expect(drainer.drain()).to.equal('ended');
    expect(drainer.truncatedBytes).to.equal(0);
  });
});
