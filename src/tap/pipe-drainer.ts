import { EAGAIN, EINTR, type LibC } from '../ffi/libc';
import type { FrameRing } from '../ring/frame-ring';

const TWO_32 = 4294967296;

export type DrainResult = 'open' | 'ended';

/**
 * Moves one camera's FFmpeg pipe into its ring: the kernel copies pipe bytes straight into the
 * shared slot (readv(2) at the slot's address), the only copy of the frame.
 *
 * A read returns whatever the pipe holds, so a frame arrives in pieces: `filled` carries over
 * between reads and wake-ups, and a frame is committed only when exactly frameSize bytes are in
 * its slot. Boundaries cannot drift: every byte lands at slot + filled, never dropped.
 */
export class PipeDrainer {
  /** Bytes of the frame the stream ended inside (0 if it ended on a boundary). */
  truncatedBytes = 0;
  /**
   * Set when the camera's export was stopped while FFmpeg still writes: the ring's memory may be
   * unmapped from then on, so bytes are discarded (never written anywhere) until FFmpeg closes
   * the pipe. Closing our end instead would kill FFmpeg with EPIPE, and RTP and HLS with it.
   */
  discarding = false;
  private filled = 0;
  private slotAddress = 0;
  private frameOpen = false;
  /** One struct iovec [base_lo, base_hi, len_lo, len_hi], rewritten before every read. */
  private readonly iov = new Int32Array(4);
  private readonly frameSize: number;
  private readonly slotStride: number;

  constructor(
    readonly tapId: number,
    readonly fd: number,
    private readonly ring: FrameRing,
    private readonly dataAddress: number,
    private readonly libc: LibC,
  ) {
    this.frameSize = ring.layout.frameSize;
    this.slotStride = ring.layout.slotStride;
  }

  /**
   * Reads until the pipe is empty (fd is O_NONBLOCK). 'ended' at end of stream or on error.
   *
   * A pipe read returns less than asked only when it emptied the pipe, so a short read ends
   * the drain without a second read that could only say EAGAIN: FFmpeg writes a frame in 32 KiB
   * pieces and the tap wakes for many of them, so that read would be a third of its syscalls.
   * Bytes written meanwhile are not missed: poll(2) is level-triggered and reports them at once.
   */
  drain(): DrainResult {
    for (;;) {
      if (!this.frameOpen) {
        this.slotAddress = this.dataAddress + this.ring.beginFrame() * this.slotStride;
        this.frameOpen = true;
        this.filled = 0;
      }
      const address = this.slotAddress + this.filled;
      const wanted = this.frameSize - this.filled;
      this.iov[0] = address % TWO_32 | 0;
      this.iov[1] = (address / TWO_32) | 0;
      this.iov[2] = wanted;
      const count = this.libc.readv(this.fd, this.iov, 1);
      if (count > 0) {
        this.filled += count;
        if (this.filled === this.frameSize) {
          this.ring.commitFrame();
          this.frameOpen = false;
        }
        if (count < wanted) return 'open';
        continue;
      }
      if (count === -EINTR) continue;
      if (count === -EAGAIN) return 'open';
      this.closeFrame();
      return 'ended';
    }
  }

  /** Leaves the ring for good; the caller discards the pipe's bytes from now on. */
  releaseRing(): void {
    this.closeFrame();
    this.discarding = true;
  }

  /** A sign of life while FFmpeg is quiet (for readers' writer-liveness check). */
  heartbeat(): void {
    this.ring.heartbeat();
  }

  /** Leaves the ring consistent when the stream stops: a partial frame is counted, never shown. */
  closeFrame(): void {
    if (!this.frameOpen) return;
    this.frameOpen = false;
    if (this.filled > 0) {
      this.truncatedBytes = this.filled;
      this.ring.abortFrame();
    } else {
      this.ring.cancelFrame();
    }
  }
}
