import { Header, Slot, slotRecordOffset, type ExportLayout } from '../layout/frame-export-layout';
import type { FrameClock } from '../clock/frame-clock';
import type { MetaView } from '../meta/meta-view';
import type { CommitWaker } from './futex-waker';

const SLOT_SEQ = Slot.SEQ >>> 2;
const SLOT_FRAME_ID = Slot.FRAME_ID >>> 2;
const SLOT_TIMESTAMP = Slot.TIMESTAMP_NS >>> 2;
const SLOT_WALLCLOCK = Slot.WALLCLOCK_NS >>> 2;
const SLOT_DATA_SIZE = Slot.DATA_SIZE >>> 2;
const STATUS_SEQ = Header.STATUS_SEQ >>> 2;
const LATEST = Header.LATEST_FRAME_ID >>> 2;
const HEARTBEAT = Header.HEARTBEAT_NS >>> 2;
const WRITTEN = Header.FRAMES_WRITTEN >>> 2;
const DROPPED_SIZE = Header.DROPPED_SIZE_MISMATCH >>> 2;
const DROPPED_TRUNCATED = Header.DROPPED_TRUNCATED >>> 2;
const NOTIFY_SEQ = Header.NOTIFY_SEQ >>> 2;
const STATE = Header.STATE >>> 2;
const TWO_32 = 4294967296;

/**
 * The single writer of one export's ring (Phase 1), over the export's memory (Phase 2).
 *
 * Protocol (docs/frame-export-format.md section 5.1), per frame:
 *   slot.seq odd -> bytes -> slot fields -> slot.seq even -> status block under status_seq
 *   -> notify_seq + 1 -> FUTEX_WAKE (never waits).
 * Atomics.store is sequentially consistent: on x86-64 (xchg) the plain stores around it stay in
 * program order (TSO), which is the fence_w the protocol needs on both sides of the copy. That
 * holds on x86-64 only: on arm64 V8's stlr does not order the plain frame-byte stores, which is
 * why the plugin refuses to start there (spec 5.3). Fields inside a seqlock are plain stores.
 *
 * Only one thread writes a ring at a time. Ownership moves between threads (main thread for
 * onFrame, the tap thread for the FFmpeg pipe) by message passing; a new owner builds its own
 * FrameRing over the same memory and takes its counters from the status block, which only the
 * previous owner wrote.
 *
 * Nothing here allocates: counters are numbers (below 2^53), clocks write into the mapping.
 */
export class FrameRing {
  private readonly i32: Int32Array;
  private readonly slotCount: number;
  private readonly slotBase: Int32Array;
  private latestFrameId: number;
  private framesWritten: number;
  private droppedSizeMismatch: number;
  private droppedTruncated: number;
  private statusSeq: number;
  private openSlot = -1;
  private openSeq = 0;

  constructor(
    meta: MetaView,
    private readonly data: Uint8Array,
    readonly layout: ExportLayout,
    private readonly clock: FrameClock,
    private readonly waker: CommitWaker,
  ) {
    this.i32 = meta.i32;
    this.slotCount = layout.slotCount;
    const headerSize = meta.u32(Header.HEADER_SIZE);
    const slotMetaSize = meta.u32(Header.SLOT_META_SIZE);
    this.slotBase = new Int32Array(layout.slotCount);
    for (let index = 0; index < layout.slotCount; index++) {
      this.slotBase[index] = slotRecordOffset(headerSize, slotMetaSize, index) >>> 2;
    }
    this.latestFrameId = meta.u64Number(Header.LATEST_FRAME_ID);
    this.framesWritten = meta.u64Number(Header.FRAMES_WRITTEN);
    this.droppedSizeMismatch = meta.u64Number(Header.DROPPED_SIZE_MISMATCH);
    this.droppedTruncated = meta.u64Number(Header.DROPPED_TRUNCATED);
    // A previous owner that died inside an update (a terminated tap thread) left a seq odd: the
    // next update must still go odd -> even, so start from the next even value.
    const statusSeq = meta.loadU32(Header.STATUS_SEQ);
    this.statusSeq = (statusSeq + (statusSeq & 1)) | 0;
  }

  /** One whole frame, copied once into its slot. False (and counted) if its size is wrong. */
  writeFrame(frame: Uint8Array): boolean {
    if (frame.length !== this.layout.frameSize) {
      this.droppedSizeMismatch++;
      this.publishStatus();
      return false;
    }
    const slot = this.beginFrame();
    this.data.set(frame, slot * this.layout.slotStride);
    this.commitFrame();
    return true;
  }

  /**
   * Opens the next frame's slot for writing (seq odd) and returns its index; the caller fills
   * data[index * slotStride, + frameSize) and then calls commitFrame, abortFrame or cancelFrame.
   */
  beginFrame(): number {
    const slot = (this.latestFrameId % this.slotCount);
    const seqIndex = this.slotBase[slot]! + SLOT_SEQ;
    // The seq is ours alone; an odd value is what readers must see before any new byte. `| 1`:
    // a slot left odd by a previous owner that died mid-frame goes to the next odd value.
    this.openSeq = (Atomics.load(this.i32, seqIndex) + 1) | 1;
    Atomics.store(this.i32, seqIndex, this.openSeq);
    this.openSlot = slot;
    return slot;
  }

  /** The open slot holds a whole frame: stamp it, make it stable, publish it. */
  commitFrame(): void {
    const base = this.slotBase[this.openSlot]!;
    const frameId = this.latestFrameId + 1;
    const i32 = this.i32;
    i32[base + SLOT_FRAME_ID] = frameId % TWO_32 | 0;
    i32[base + SLOT_FRAME_ID + 1] = (frameId / TWO_32) | 0;
    this.clock.monotonicInto(i32, base + SLOT_TIMESTAMP);
    this.clock.realtimeInto(i32, base + SLOT_WALLCLOCK);
    i32[base + SLOT_DATA_SIZE] = this.layout.frameSize;
    // Even: every byte and field above is visible before a reader can see "stable".
    Atomics.store(i32, base + SLOT_SEQ, (this.openSeq + 1) | 0);
    this.openSlot = -1;
    this.latestFrameId = frameId;
    this.framesWritten++;
    this.publishStatus(base + SLOT_TIMESTAMP);
    this.notify();
  }

  /**
   * The stream ended inside a frame: the slot's bytes are partly new, so its old frame id must
   * never validate again. Id 0 matches no published frame.
   */
  abortFrame(): void {
    const base = this.slotBase[this.openSlot]!;
    this.i32[base + SLOT_FRAME_ID] = 0;
    this.i32[base + SLOT_FRAME_ID + 1] = 0;
    Atomics.store(this.i32, base + SLOT_SEQ, (this.openSeq + 1) | 0);
    this.openSlot = -1;
    this.droppedTruncated++;
    this.publishStatus();
  }

  /** The slot was opened but no byte was written: its old frame is intact and valid again. */
  cancelFrame(): void {
    Atomics.store(this.i32, this.slotBase[this.openSlot]! + SLOT_SEQ, (this.openSeq + 1) | 0);
    this.openSlot = -1;
  }

  /** A sign of life without a frame. */
  heartbeat(): void {
    this.publishStatus();
  }

  /** LIVE, IDLE or STOPPED; waiting readers wake to re-evaluate status. */
  setState(state: number): void {
    Atomics.store(this.i32, STATE, state);
    this.notify();
  }

  /** notify_seq + 1, then FUTEX_WAKE: after the status block, so a woken reader finds the frame. */
  private notify(): void {
    Atomics.add(this.i32, NOTIFY_SEQ, 1);
    this.waker.wake();
  }

  /**
   * Rewrites the status block under status_seq. `timestampIndex` is where the current
   * monotonic time already is (the committed slot's timestamp); -1 reads the clock.
   */
  private publishStatus(timestampIndex = -1): void {
    const i32 = this.i32;
    const seq = (this.statusSeq + 1) | 0;
    Atomics.store(i32, STATUS_SEQ, seq);
    i32[LATEST] = this.latestFrameId % TWO_32 | 0;
    i32[LATEST + 1] = (this.latestFrameId / TWO_32) | 0;
    if (timestampIndex < 0) {
      this.clock.monotonicInto(i32, HEARTBEAT);
    } else {
      i32[HEARTBEAT] = i32[timestampIndex]!;
      i32[HEARTBEAT + 1] = i32[timestampIndex + 1]!;
    }
    i32[WRITTEN] = this.framesWritten % TWO_32 | 0;
    i32[WRITTEN + 1] = (this.framesWritten / TWO_32) | 0;
    i32[DROPPED_SIZE] = this.droppedSizeMismatch % TWO_32 | 0;
    i32[DROPPED_SIZE + 1] = (this.droppedSizeMismatch / TWO_32) | 0;
    i32[DROPPED_TRUNCATED] = this.droppedTruncated % TWO_32 | 0;
    i32[DROPPED_TRUNCATED + 1] = (this.droppedTruncated / TWO_32) | 0;
    this.statusSeq = (seq + 1) | 0;
    Atomics.store(i32, STATUS_SEQ, this.statusSeq);
  }
}
