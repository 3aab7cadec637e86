/**
 * Conformance: the TypeScript reader's view of an export, printed as the JSON every reader
 * prints (u64 values as decimal strings). Usage: node conformance-reader.js <dir> <camera>
 */
import { FrameReader } from '../../../src/reader/frame-reader';
import { fnv1a64Hex } from './fnv1a64';

const [dir, camera] = process.argv.slice(2);
const reader = FrameReader.open(camera!, { dir: dir! });
const info = reader.info();
const frame = reader.latest();
if (info === null || frame === null) {
  process.stderr.write(`no frame: status ${reader.status()} ${reader.problem ?? ''}\n`);
  process.exit(1);
}
const { header, status } = info;
const { meta } = frame;
process.stdout.write(`${JSON.stringify({
  version: header.version, header_size: header.headerSize, slot_meta_size: header.slotMetaSize,
  slot_count: header.slotCount, slot_stride: header.slotStride, pixel_format: meta.pixelFormat,
  width: header.width, height: header.height, y_stride: header.yStride, uv_stride: header.uvStride,
  uv_offset: header.uvOffset, frame_size: header.frameSize, writer_pid: header.writerPid,
  writer_pidns: String(header.writerPidns), generation: String(header.generation),
  created_realtime_ns: String(header.createdRealtimeNs), heartbeat_interval_ms: header.heartbeatIntervalMs,
  latest_frame_id: String(status.latestFrameId), frames_written: String(status.framesWritten),
  dropped_size_mismatch: String(status.droppedSizeMismatch), dropped_truncated: String(status.droppedTruncated),
  frame_id: String(meta.frameId), timestamp_ns: String(meta.timestampNs), wallclock_ns: String(meta.wallClockNs),
  frame_width: meta.width, frame_height: meta.height, strides: meta.strides, frame_uv_offset: meta.uvOffset,
  data_size: meta.dataSize, slot: meta.slot, frame_generation: String(meta.generation),
  color_matrix: meta.colorMatrix === 'bt709' ? 1 : 6, color_range: meta.colorRange === 'full' ? 2 : 1,
  source_width: meta.sourceWidth, source_height: meta.sourceHeight,
  data_fnv1a64: fnv1a64Hex(frame.data), data_hex: Buffer.from(frame.data).toString('hex'),
})}\n`);
reader.close();
