import {
  FORMAT_VERSION, HEADER_SIZE_V1, Header, PIXEL_FORMAT_NV12, SLOT_ALIGNMENT, SLOT_META_SIZE_V1,
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
}

/** The status block, read consistently under status_seq. */
export interface ExportStatusBlock {
  readonly latestFrameId: number;
  readonly heartbeatNs: bigint;
  readonly framesWritten: number;
  readonly droppedSizeMismatch: number;
  readonly droppedTruncated: number;
}

/** Decodes and validates (format spec section 6). Returns the header or a one-line problem. */
export function decodeHeader(meta: MetaView, metaFileSize: number, dataFileSize: number): ExportHeader | string {
  if (metaFileSize < HEADER_SIZE_V1) return `frame.meta is ${metaFileSize} bytes, smaller than the ${HEADER_SIZE_V1}-byte v1 header`;
  const header: ExportHeader = {
    version: meta.u32(Header.VERSION),
    headerSize: meta.u32(Header.HEADER_SIZE),
    slotMetaSize: meta.u32(Header.SLOT_META_SIZE),
    slotCount: meta.u32(Header.SLOT_COUNT),
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
  };
  const pixelFormat = meta.u32(Header.PIXEL_FORMAT);
  const checks: Array<[boolean, string]> = [
    [header.version >= FORMAT_VERSION, `version ${header.version} is older than ${FORMAT_VERSION}`],
    [header.headerSize >= HEADER_SIZE_V1 && header.headerSize % 4 === 0, `header_size ${header.headerSize} is below ${HEADER_SIZE_V1} or not a multiple of 4`],
    [header.slotMetaSize >= SLOT_META_SIZE_V1 && header.slotMetaSize % 4 === 0, `slot_meta_size ${header.slotMetaSize} is below ${SLOT_META_SIZE_V1} or not a multiple of 4`],
    [pixelFormat === PIXEL_FORMAT_NV12, `pixel_format 0x${pixelFormat.toString(16)} is not NV12 (0x${PIXEL_FORMAT_NV12.toString(16)})`],
    [header.width > 0 && header.width % 2 === 0 && header.height > 0 && header.height % 2 === 0,
      `geometry ${header.width}x${header.height} is not even and non-zero`],
    [header.yStride >= header.width && header.uvStride >= header.width, `strides ${header.yStride}/${header.uvStride} < width ${header.width}`],
    [header.frameSize === header.yStride * header.height + header.uvStride * (header.height / 2),
      `frame_size ${header.frameSize} != y_stride*height + uv_stride*height/2 (${header.yStride * header.height + header.uvStride * (header.height / 2)})`],
    [header.uvOffset === header.yStride * header.height, `uv_offset ${header.uvOffset} != y_stride*height`],
    [header.slotCount >= 1, `slot_count ${header.slotCount} < 1`],
    [header.slotStride >= header.frameSize && header.slotStride % SLOT_ALIGNMENT === 0,
      `slot_stride ${header.slotStride} is below frame_size ${header.frameSize} or not a multiple of ${SLOT_ALIGNMENT}`],
    [metaFileSize >= header.headerSize + header.slotCount * header.slotMetaSize,
      `frame.meta is ${metaFileSize} bytes, needs ${header.headerSize + header.slotCount * header.slotMetaSize}`],
    [dataFileSize >= header.slotCount * header.slotStride,
      `frame.data is ${dataFileSize} bytes, needs ${header.slotCount * header.slotStride}`],
  ];
  for (const [ok, problem] of checks) if (!ok) return problem;
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
