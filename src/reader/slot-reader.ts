import { Header, Slot, slotRecordOffset } from '../layout/frame-export-layout';
import type { Frame } from '../meta/frame-meta';
import type { ExportHeader } from '../meta/meta-decoder';
import type { MetaView } from '../meta/meta-view';


/**
 * The reader protocol (docs/frame-export-format.md section 5.2) over one mapping pair. Used by
 * the TypeScript FrameReader (another process) and by the in-process Phase 1 accessor.
 *
 * Ordering: Atomics.load is sequentially consistent, so the first seq read is an acquire (the
 * copy cannot move before it) and the second is ordered after the copy on x86-64 (TSO) and by
 * V8's barriers around seq_cst accesses on arm64.
 */
export class SlotReader {
  /** Reads discarded because the slot was being written or was overwritten during the copy. */
  skipped = 0;
  private readonly slotRecord: Int32Array;

  constructor(
    private readonly cameraId: string,
    private readonly meta: MetaView,
    private readonly data: Uint8Array,
    readonly header: ExportHeader,
  ) {
    this.slotRecord = new Int32Array(header.slotCount);
    for (let index = 0; index < header.slotCount; index++) {
      this.slotRecord[index] = slotRecordOffset(header.headerSize, header.slotMetaSize, index);
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
    const dataOffset = meta.u64Number(record + Slot.DATA_OFFSET);
    const dataSize = meta.u32(record + Slot.DATA_SIZE);
    if (dataSize !== header.frameSize || dataOffset + dataSize > this.data.length) return null;
    const data = this.data.slice(dataOffset, dataOffset + dataSize);
    if (meta.loadU32(record + Slot.SEQ) !== seqBefore || slotFrameId !== frameId) return null;
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
        dataSize,
        slot,
      },
    };
  }
}

