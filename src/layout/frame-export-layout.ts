/**
 * The one binary layout definition of a frame export (format version 2).
 *
 * Writer, TypeScript reader, tests and the generated parts of the docs read their offsets from
 * here; the Python and C readers mirror it and the conformance test holds all of them to the
 * golden meta bytes. docs/frame-export-format.md is the normative, language-neutral description.
 *
 * Evolution rule: a later version only appends fields (the header and slot records state their
 * own sizes), never moves or re-types a field listed here.
 */

export const FORMAT_VERSION = 2;

/** fourcc 'NV12' read as a little-endian u32. */
export const PIXEL_FORMAT_NV12 = 0x3231564e;

export const META_FILE_NAME = 'frame.meta';
export const DATA_FILE_NAME = 'frame.data';

/** Slots in frame.data start on page boundaries. */
export const SLOT_ALIGNMENT = 4096;

/** Values of the `state` header field. */
export const WriterState = {
  LIVE: 1,
  STOPPED: 2,
  /** v2: the writer lives but the camera's stream ended; no frame until VAS restarts or stops it. */
  IDLE: 3,
} as const;

/** ITU-T H.273 MatrixCoefficients values the writer records in `color_matrix` (v2). */
export const ColorMatrix = {
  BT709: 1,
  BT601: 6,
} as const;

/** Values of `color_range` (v2). */
export const ColorRange = {
  LIMITED: 1,
  FULL: 2,
} as const;

/**
 * Global header of frame.meta. Every offset is in bytes from the start of the file.
 * u64 fields are little-endian: low u32 at `offset`, high u32 at `offset + 4`.
 */
export const Header = {
  VERSION: 0, // u32, always first
  HEADER_SIZE: 4, // u32, bytes of this header; the slot table starts here
  SLOT_META_SIZE: 8, // u32, bytes of one slot record
  SLOT_COUNT: 12, // u32
  SLOT_STRIDE: 16, // u32, bytes between slot starts in frame.data (multiple of SLOT_ALIGNMENT)
  PIXEL_FORMAT: 20, // u32, PIXEL_FORMAT_NV12
  WIDTH: 24, // u32
  HEIGHT: 28, // u32
  Y_STRIDE: 32, // u32, bytes per row of the Y plane
  UV_STRIDE: 36, // u32, bytes per row of the interleaved UV plane
  UV_OFFSET: 40, // u32, offset of the UV plane inside a frame
  FRAME_SIZE: 44, // u32, bytes of one frame
  WRITER_PID: 48, // u32
  STATE: 52, // u32, atomic: WriterState
  GENERATION: 56, // u64, new random non-zero value each time the files are created
  WRITER_PIDNS: 64, // u64, inode of the writer's /proc/self/ns/pid (0: unknown)
  CREATED_REALTIME_NS: 72, // u64, CLOCK_REALTIME at creation
  STATUS_SEQ: 80, // u32, atomic: seqlock over the status block below
  HEARTBEAT_INTERVAL_MS: 84, // u32, the writer refreshes HEARTBEAT_NS at least this often
  // Status block, read under STATUS_SEQ:
  LATEST_FRAME_ID: 88, // u64, last committed frame id (0: none yet)
  HEARTBEAT_NS: 96, // u64, CLOCK_MONOTONIC of the writer's last sign of life
  FRAMES_WRITTEN: 104, // u64
  DROPPED_SIZE_MISMATCH: 112, // u64, frames whose byte length differed from FRAME_SIZE
  DROPPED_TRUNCATED: 120, // u64, frames cut short by the end of the stream
  // Version 2:
  NOTIFY_SEQ: 128, // u32, atomic: the futex word, +1 after every commit and state change
  COLOR_MATRIX: 132, // u32, ColorMatrix (static)
  COLOR_RANGE: 136, // u32, ColorRange (static)
  SOURCE_WIDTH: 140, // u32, atomic: camera picture width before scaling, 0 = unknown
  SOURCE_HEIGHT: 144, // u32, atomic: stored before SOURCE_WIDTH
} as const;

export const HEADER_SIZE_V1 = 128;
export const HEADER_SIZE_V2 = 160;

/** One record of the slot table; record i starts at HEADER_SIZE + i * SLOT_META_SIZE. */
export const Slot = {
  SEQ: 0, // u32, atomic seqlock: odd while the slot is written, even when stable
  INDEX: 4, // u32, i (static)
  FRAME_ID: 8, // u64, monotonic from 1
  TIMESTAMP_NS: 16, // u64, CLOCK_MONOTONIC when the frame was committed
  WALLCLOCK_NS: 24, // u64, CLOCK_REALTIME when the frame was committed
  DATA_OFFSET: 32, // u64, byte offset of the frame in frame.data
  DATA_SIZE: 40, // u32, bytes of the frame
} as const;

export const SLOT_META_SIZE_V1 = 64;

/** The writer promises a heartbeat at least this often while the export is live. */
export const HEARTBEAT_INTERVAL_MS = 250;

/**
 * A reader in the writer's pid namespace checks the writer pid directly; any reader also
 * declares the writer dead when the heartbeat is older than this.
 */
export const HEARTBEAT_STALE_MS = 2000;

/** A waiting reader re-evaluates status at least this often (a dead writer wakes nobody). */
export const WAIT_RECHECK_MS = 1000;

/** A reader with nothing to read (not attached, not live or idle) looks again this often. */
export const POLL_MS = 100;

/** A reader with frames to read but no futex word (a version 1 file) polls this often. */
export const FRAME_POLL_MS = 5;

export interface FrameGeometry {
  readonly width: number;
  readonly height: number;
}

/** Everything about an export's sizes, derived from geometry and slot count alone. */
export interface ExportLayout {
  readonly width: number;
  readonly height: number;
  readonly yStride: number;
  readonly uvStride: number;
  readonly uvOffset: number;
  readonly frameSize: number;
  readonly slotCount: number;
  readonly slotStride: number;
  readonly metaFileSize: number;
  readonly dataFileSize: number;
}

export function roundUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** NV12: a full-resolution Y plane followed by a half-height plane of interleaved U and V. */
export function nv12FrameSize(width: number, height: number): number {
  return width * height + width * (height / 2);
}

export function computeLayout(geometry: FrameGeometry, slotCount: number): ExportLayout {
  const { width, height } = geometry;
  const frameSize = nv12FrameSize(width, height);
  const slotStride = roundUp(frameSize, SLOT_ALIGNMENT);
  return {
    width,
    height,
    yStride: width,
    uvStride: width,
    uvOffset: width * height,
    frameSize,
    slotCount,
    slotStride,
    metaFileSize: HEADER_SIZE_V2 + slotCount * SLOT_META_SIZE_V1,
    dataFileSize: slotCount * slotStride,
  };
}

/** Byte offset of slot record `index` in frame.meta. */
export function slotRecordOffset(headerSize: number, slotMetaSize: number, index: number): number {
  return headerSize + index * slotMetaSize;
}
