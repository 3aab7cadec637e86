import {
  ColorMatrix, ColorRange, HEADER_SIZE_V1, HEADER_SIZE_V2, Header, PIXEL_FORMAT_NV12, SLOT_ALIGNMENT, SLOT_META_SIZE_V1, Slot,
  slotRecordOffset,
} from '../layout/frame-export-layout';
import type { MetaView } from './meta-view';

/** The static header fields of an export, as a reader sees them. */
export interface ExportHeader {
  readonly version: number;
  readonly headerSize: number;
  readonly slotMetaSize: number;
  readonly slotCount: number;
  readonly slotStride: number;
  readonly width: number;
  readonly height: number;
  readonly yStride: number;
  readonly uvStride: number;
  readonly uvOffset: number;
  readonly frameSize: number;
  readonly writerPid: number;
  readonly writerPidns: number;
  readonly generation: bigint;
  readonly createdRealtimeNs: bigint;
  readonly heartbeatIntervalMs: number;
  /** H.273 matrix of the frames (spec 3.3): BT.601 for v1 files and unknown codes. */
  readonly colorMatrix: 'bt709' | 'bt601';
  /** Limited unless the file says full (v1 files: limited). */
  readonly colorRange: 'limited' | 'full';
}

/** The status block, read consistently under status_seq. */
export interface ExportStatusBlock {
  readonly latestFrameId: number;
  readonly heartbeatNs: bigint;
  readonly framesWritten: number;
  readonly droppedSizeMismatch: number;
  readonly droppedTruncated: number;
}

/**
 * Decodes and validates a header as a reader must when it attaches (format spec section 7).
 * Returns the header or a one-line problem naming the field and both values. Reads nothing
 * outside `metaFileSize` bytes.
 */
export function decodeHeader(meta: MetaView, metaFileSize: number, dataFileSize: number): ExportHeader | string {
  if (metaFileSize < HEADER_SIZE_V1) return `frame.meta is ${metaFileSize} bytes, shorter than the ${HEADER_SIZE_V1}-byte version 1 header`;
  const version = meta.u32(Header.VERSION);
  const headerSize = meta.u32(Header.HEADER_SIZE);
  const slotMetaSize = meta.u32(Header.SLOT_META_SIZE);
  const slotCount = meta.u32(Header.SLOT_COUNT);
  const minimumHeader = version >= 2 ? HEADER_SIZE_V2 : HEADER_SIZE_V1;
  const sizeChecks: Array<[boolean, string]> = [
    [version >= 1, `version ${version} is not a format version (>= 1)`],
    [headerSize >= minimumHeader && headerSize % 8 === 0, `header_size ${headerSize} is below ${minimumHeader} (version ${version}) or not a multiple of 8`],
    [slotMetaSize >= SLOT_META_SIZE_V1 && slotMetaSize % 8 === 0, `slot_meta_size ${slotMetaSize} is below ${SLOT_META_SIZE_V1} or not a multiple of 8`],
    [slotCount >= 1, `slot_count ${slotCount} < 1`],
    [metaFileSize >= headerSize + slotCount * slotMetaSize, `frame.meta is ${metaFileSize} bytes, needs ${headerSize + slotCount * slotMetaSize}`],
  ];
  for (const [ok, problem] of sizeChecks) if (!ok) return problem;
  const v2 = version >= 2;
  const header: ExportHeader = {
    version,
    headerSize,
    slotMetaSize,
    slotCount,
    slotStride: meta.u32(Header.SLOT_STRIDE),
    width: meta.u32(Header.WIDTH),
    height: meta.u32(Header.HEIGHT),
    yStride: meta.u32(Header.Y_STRIDE),
    uvStride: meta.u32(Header.UV_STRIDE),
    uvOffset: meta.u32(Header.UV_OFFSET),
    frameSize: meta.u32(Header.FRAME_SIZE),
    writerPid: meta.u32(Header.WRITER_PID),
    writerPidns: meta.u64Number(Header.WRITER_PIDNS),
    generation: meta.u64BigInt(Header.GENERATION),
    createdRealtimeNs: meta.u64BigInt(Header.CREATED_REALTIME_NS),
    heartbeatIntervalMs: meta.u32(Header.HEARTBEAT_INTERVAL_MS),
    colorMatrix: v2 && meta.u32(Header.COLOR_MATRIX) === ColorMatrix.BT709 ? 'bt709' : 'bt601',
    colorRange: v2 && meta.u32(Header.COLOR_RANGE) === ColorRange.FULL ? 'full' : 'limited',
  };
  const pixelFormat = meta.u32(Header.PIXEL_FORMAT);
  const { width, height, yStride, uvStride, frameSize, slotStride } = header;
  const expectedFrameSize = yStride * height + uvStride * (height / 2);
  const checks: Array<[boolean, string]> = [
    [header.generation !== 0n, 'generation is 0 (a writer never publishes generation 0)'],
    [pixelFormat === PIXEL_FORMAT_NV12, `pixel_format 0x${pixelFormat.toString(16)} is not NV12 (0x${PIXEL_FORMAT_NV12.toString(16)})`],
    [width > 0 && width % 2 === 0 && height > 0 && height % 2 === 0, `geometry ${width}x${height} is not even and non-zero`],
    [yStride >= width, `y_stride ${yStride} < width ${width}`],
    [uvStride >= width, `uv_stride ${uvStride} < width ${width}`],
    [header.uvOffset === yStride * height, `uv_offset ${header.uvOffset} != y_stride*height (${yStride * height})`],
    [frameSize === expectedFrameSize, `frame_size ${frameSize} != y_stride*height + uv_stride*height/2 (${expectedFrameSize})`],
    [slotStride >= frameSize && slotStride % SLOT_ALIGNMENT === 0,
      `slot_stride ${slotStride} is below frame_size ${frameSize} or not a multiple of ${SLOT_ALIGNMENT}`],
    [dataFileSize >= slotCount * slotStride, `frame.data is ${dataFileSize} bytes, needs ${slotCount * slotStride}`],
  ];
  for (const [ok, problem] of checks) if (!ok) return problem;
  for (let index = 0; index < slotCount; index++) {
    const record = slotRecordOffset(headerSize, slotMetaSize, index);
    const slotIndex = meta.u32(record + Slot.INDEX);
    const dataOffset = meta.u64Number(record + Slot.DATA_OFFSET);
    if (slotIndex !== index) return `slot record ${index}: slot_index ${slotIndex} != ${index} (not this format's slot table)`;
    if (dataOffset % SLOT_ALIGNMENT !== 0 || dataOffset + frameSize > dataFileSize) {
      return `slot record ${index}: data_offset ${dataOffset} is not page-aligned or + frame_size ${frameSize} exceeds frame.data (${dataFileSize} bytes)`;
    }
  }
  return header;
}

/**
 * Reads the status block under its seqlock (spec 5.2 read_status). Returns null if the writer
 * kept it busy for every try (it never holds it for more than a few stores).
 */
export function readStatusBlock(meta: MetaView, tries = 100): ExportStatusBlock | null {
  for (let attempt = 0; attempt < tries; attempt++) {
    const before = meta.loadU32(Header.STATUS_SEQ);
    if ((before & 1) !== 0) continue;
    const block: ExportStatusBlock = {
      latestFrameId: meta.u64Number(Header.LATEST_FRAME_ID),
      heartbeatNs: meta.u64BigInt(Header.HEARTBEAT_NS),
      framesWritten: meta.u64Number(Header.FRAMES_WRITTEN),
      droppedSizeMismatch: meta.u64Number(Header.DROPPED_SIZE_MISMATCH),
      droppedTruncated: meta.u64Number(Header.DROPPED_TRUNCATED),
    };
    if (meta.loadU32(Header.STATUS_SEQ) === before) return block;
  }
  return null;
}
