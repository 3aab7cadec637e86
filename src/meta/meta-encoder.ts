import {
  ColorRange, FORMAT_VERSION, HEADER_SIZE_V2, HEARTBEAT_INTERVAL_MS, Header, PIXEL_FORMAT_NV12, SLOT_META_SIZE_V1, Slot,
  WriterState, slotRecordOffset, type ExportLayout,
} from '../layout/frame-export-layout';
import type { FrameClock } from '../clock/frame-clock';
import type { MetaView } from './meta-view';
import type { WriterIdentity } from './writer-identity';

/**
 * Writes the static part of a new frame.meta. Runs before the export directory is published
 * (renamed into place), so no reader can see a half-written header.
 */
export class MetaEncoder {
  constructor(private readonly clock: FrameClock, private readonly identity: WriterIdentity) {}

  /**
   * Returns the generation written, as [low, high]. `colorMatrix` is an H.273 code
   * (ColorMatrix); the range is always limited: the tap converts to it, and frames handed to
   * onFrame are NV12 as VAS's decoder produces it.
   */
  encode(meta: MetaView, layout: ExportLayout, colorMatrix: number): [number, number] {
    const generation = this.identity.newGeneration();
    meta.setU32(Header.VERSION, FORMAT_VERSION);
    meta.setU32(Header.HEADER_SIZE, HEADER_SIZE_V2);
    meta.setU32(Header.SLOT_META_SIZE, SLOT_META_SIZE_V1);
    meta.setU32(Header.SLOT_COUNT, layout.slotCount);
    meta.setU32(Header.SLOT_STRIDE, layout.slotStride);
    meta.setU32(Header.PIXEL_FORMAT, PIXEL_FORMAT_NV12);
    meta.setU32(Header.WIDTH, layout.width);
    meta.setU32(Header.HEIGHT, layout.height);
    meta.setU32(Header.Y_STRIDE, layout.yStride);
    meta.setU32(Header.UV_STRIDE, layout.uvStride);
    meta.setU32(Header.UV_OFFSET, layout.uvOffset);
    meta.setU32(Header.FRAME_SIZE, layout.frameSize);
    meta.setU32(Header.WRITER_PID, this.identity.pid());
    meta.setU64Halves(Header.GENERATION, generation[0], generation[1]);
    meta.setU64Number(Header.WRITER_PIDNS, this.identity.pidNamespace());
    this.clock.realtimeInto(meta.i32, Header.CREATED_REALTIME_NS >>> 2);
    meta.setU32(Header.HEARTBEAT_INTERVAL_MS, HEARTBEAT_INTERVAL_MS);
    this.clock.monotonicInto(meta.i32, Header.HEARTBEAT_NS >>> 2);
    meta.setU32(Header.COLOR_MATRIX, colorMatrix);
    meta.setU32(Header.COLOR_RANGE, ColorRange.LIMITED);
    for (let index = 0; index < layout.slotCount; index++) {
      const record = slotRecordOffset(HEADER_SIZE_V2, SLOT_META_SIZE_V1, index);
      meta.setU32(record + Slot.INDEX, index);
      meta.setU64Number(record + Slot.DATA_OFFSET, index * layout.slotStride);
    }
    meta.storeU32(Header.STATE, WriterState.LIVE);
    return generation;
  }
}
