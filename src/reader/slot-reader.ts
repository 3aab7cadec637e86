import { Header, Slot, slotRecordOffset } from '../layout/frame-export-layout';
import type { Frame } from '../meta/frame-meta';
import type { ExportHeader } from '../meta/meta-decoder';
import type { MetaView } from '../meta/meta-view';

const TWO_32 = 4294967296;

/** The numbers of the frame a `readInto` copied; one object per reader, rewritten in place. */
export interface SlotRead {
  frameId: number;
  slot: number;
  /** CLOCK_MONOTONIC / CLOCK_REALTIME of the commit, ns as a double (exact to a few ns for years of uptime). */
  timestampNs: number;
  wallClockNs: number;
}

/**
 * The reader protocol (docs/frame-export-format.md section 5.2) over one mapping pair. Used by
 * the TypeScript FrameReader (another process) and by the in-process Phase 1 accessor.
 *
 * Ordering (x86-64 only, spec 5.3): Atomics.load is sequentially consistent, so the first seq
 * read is an acquire (the copy cannot move before it); on x86-64 loads are not reordered with
 * loads, so the plain copy is also complete before the second seq read.
 */
export class SlotReader {
  /** Reads discarded because the slot was being written or was overwritten during the copy. */
  skipped = 0;
  /** What the last successful readInto copied. */
  readonly lastRead: SlotRead = { frameId: 0, slot: 0, timestampNs: 0, wallClockNs: 0 };
  private readonly slotRecord: Int32Array;
  private readonly slotDataOffset: Float64Array;
  /** One view per slot, made once: a subarray per read would allocate. */
  private readonly slotViews: Uint8Array[] = [];
  private readonly i32: Int32Array;

  constructor(
    private readonly cameraId: string,
    private readonly meta: MetaView,
    private readonly data: Uint8Array,
    readonly header: ExportHeader,
  ) {
    this.i32 = meta.i32;
    this.slotRecord = new Int32Array(header.slotCount);
    this.slotDataOffset = new Float64Array(header.slotCount);
    for (let index = 0; index < header.slotCount; index++) {
      this.slotRecord[index] = slotRecordOffset(header.headerSize, header.slotMetaSize, index);
      // Static and checked at attach (spec 7): data_offset + frame_size fits frame.data.
      this.slotDataOffset[index] = meta.u64Number(this.slotRecord[index]! + Slot.DATA_OFFSET);
      this.slotViews.push(data.subarray(this.slotDataOffset[index]!, this.slotDataOffset[index]! + header.frameSize));
    }
  }

  /** The published latest frame id, read under status_seq; 0 when none, -1 if the writer kept it busy. */
  publishedFrameId(): number {
    for (let attempt = 0; attempt < 100; attempt++) {
      const before = this.meta.loadU32(Header.STATUS_SEQ);
      if ((before & 1) !== 0) continue;
      const latest = this.meta.u64Number(Header.LATEST_FRAME_ID);
      if (this.meta.loadU32(Header.STATUS_SEQ) === before) return latest;
    }
    return -1;
  }

  /** The published latest frame id; 0 when none yet or unreadable right now. */
  latestFrameId(): number {
    return Math.max(0, this.publishedFrameId());
  }

  /** A copy of the latest valid frame, or null. Never returns a torn frame. */
  latest(tries = 4): Frame | null {
    for (let attempt = 0; attempt < tries; attempt++) {
      const latest = this.publishedFrameId();
      if (latest === 0) return null;
      const frame = latest > 0 ? this.readSlot(latest) : null;
      if (frame !== null) return frame;
      this.skipped++;
    }
    return null;
  }

  /**
   * Copies the latest valid frame into `target` (at least frame_size bytes) and returns its id,
   * or 0 (no frame, or every try discarded). Allocates nothing: the frame's numbers are in
   * `lastRead`. `target` holds garbage after a 0.
   */
  readInto(target: Uint8Array, tries = 4): number {
    const { frameSize, slotCount } = this.header;
    if (target.length < frameSize) throw new RangeError(`readInto needs ${frameSize} bytes, got ${target.length}`);
    const i32 = this.i32;
    for (let attempt = 0; attempt < tries; attempt++) {
      const latest = this.publishedFrameId();
      if (latest === 0) return 0;
      if (latest > 0) {
        const slot = (latest - 1) % slotCount;
        const base = this.slotRecord[slot]! >>> 2;
        const seqBefore = Atomics.load(i32, base);
        if ((seqBefore & 1) === 0) {
          target.set(this.slotViews[slot]!);
          const frameId = (i32[base + 2]! >>> 0) + (i32[base + 3]! >>> 0) * TWO_32;
          const timestampNs = (i32[base + 4]! >>> 0) + (i32[base + 5]! >>> 0) * TWO_32;
          const wallClockNs = (i32[base + 6]! >>> 0) + (i32[base + 7]! >>> 0) * TWO_32;
          const dataSize = i32[base + (Slot.DATA_SIZE >>> 2)]! >>> 0;
          if (Atomics.load(i32, base) === seqBefore && frameId === latest && dataSize === frameSize) {
            const read = this.lastRead;
            read.frameId = frameId;
            read.slot = slot;
            read.timestampNs = timestampNs;
            read.wallClockNs = wallClockNs;
            return frameId;
          }
        }
      }
      this.skipped++;
    }
    return 0;
  }

  /** Reads frame `frameId` if its slot still holds it, stable; null otherwise. */
  readSlot(frameId: number): Frame | null {
    const { header, meta } = this;
    const slot = (frameId - 1) % header.slotCount;
    const record = this.slotRecord[slot]!;
    const seqBefore = meta.loadU32(record + Slot.SEQ);
    if ((seqBefore & 1) !== 0) return null;
    const slotFrameId = meta.u64Number(record + Slot.FRAME_ID);
    const timestampNs = meta.u64BigInt(record + Slot.TIMESTAMP_NS);
    const wallClockNs = meta.u64BigInt(record + Slot.WALLCLOCK_NS);
    const dataSize = meta.u32(record + Slot.DATA_SIZE);
    const dataOffset = this.slotDataOffset[slot]!;
    const data = this.data.slice(dataOffset, dataOffset + header.frameSize);
    if (meta.loadU32(record + Slot.SEQ) !== seqBefore || slotFrameId !== frameId || dataSize !== header.frameSize) return null;
    return {
      data,
      meta: {
        cameraId: this.cameraId,
        generation: header.generation,
        frameId,
        timestampNs,
        wallClockNs,
        width: header.width,
        height: header.height,
        pixelFormat: 'NV12',
        strides: [header.yStride, header.uvStride],
        uvOffset: header.uvOffset,
        colorMatrix: header.colorMatrix,
        colorRange: header.colorRange,
        ...this.sourceGeometry(),
        dataSize,
        slot,
      },
    };
  }

  /** Spec 3.1: width first (acquire), then height; known only when the width is non-zero. */
  sourceGeometry(): { sourceWidth: number; sourceHeight: number } {
    if (this.header.version < 2) return { sourceWidth: 0, sourceHeight: 0 };
    const sourceWidth = this.meta.loadU32(Header.SOURCE_WIDTH);
    return sourceWidth === 0 ? { sourceWidth: 0, sourceHeight: 0 } : { sourceWidth, sourceHeight: this.meta.loadU32(Header.SOURCE_HEIGHT) };
  }
}
