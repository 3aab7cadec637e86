/**
 * The polling reader of the scaling run: a separate process that spins on latestFrameId() of
 * every camera (FrameReader, the package's TS reader) in one tight loop. When a camera's id
 * changes it takes CLOCK_MONOTONIC (process.hrtime, the feeder's clock too) and reads the
 * stamp the feeder put in the frame's first bytes, straight from the slot (its own read-only
 * mapping of frame.data). It never sleeps: it measures how soon a frame can be seen, not what
 * a polite reader would do.
 *
 * It also reads the slot's timestamp_ns (CLOCK_MONOTONIC when the tap committed the frame) from
 * its own read-only mapping of frame.meta, which splits the latency into the tap's part and
 * the reader's part.
 *
 * Stops when `stopFile` appears (checked every 20 ms); then writes Float64 quintuples
 * (camera, frame id, stamp, seen ns, committed ns) to `out`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadLibC } from '../src/ffi/load-libc';
import { FrameReader } from '../src/index';
import { Slot } from '../src/layout/frame-export-layout';

interface ReaderParams {
  /**
   * spin: the prescribed tight loop on latestFrameId(). sleep: a diagnostic reader that wakes
   * every millisecond and collects the commit timestamp of every frame still in a slot (each
   * stays there for slot_count frame periods), so the tap's own latency (feeder write to
   * commit) is measured without a spinning process competing for the CPUs.
   */
  readonly mode: 'spin' | 'sleep';
  readonly dir: string;
  readonly cameraIds: readonly string[];
  readonly stopFile: string;
  readonly out: string;
}

const params = JSON.parse(process.argv[2]!) as ReaderParams;
const libc = loadLibC('koffi');
const readers = params.cameraIds.map((id) => FrameReader.open(id, { dir: params.dir }));
const stamps: Int32Array[] = [];
const metas: Int32Array[] = [];
const slotRecords: number[][] = [];
const strides: number[] = [];
const slotCounts: number[] = [];
for (const [index, reader] of readers.entries()) {
  const info = reader.info();
  if (info === null) throw new Error(`camera ${params.cameraIds[index]}: export not present`);
  const fd = fs.openSync(path.join(params.dir, params.cameraIds[index]!, 'frame.data'), fs.constants.O_RDONLY);
  const size = fs.fstatSync(fd).size;
  stamps.push(new Int32Array(libc.view(libc.mmapShared(fd, size, false), size)));
  const metaFd = fs.openSync(path.join(params.dir, params.cameraIds[index]!, 'frame.meta'), fs.constants.O_RDONLY);
  const metaSize = fs.fstatSync(metaFd).size;
  metas.push(new Int32Array(libc.view(libc.mmapShared(metaFd, metaSize, false), metaSize)));
  const { headerSize, slotMetaSize, slotCount } = info.header;
  slotRecords.push(Array.from({ length: slotCount }, (_, slot) => (headerSize + slot * slotMetaSize + Slot.TIMESTAMP_NS) >>> 2));
  strides.push(info.header.slotStride >>> 2);
  slotCounts.push(info.header.slotCount);
}

const FIELDS = 5;
const records = new Float64Array(FIELDS * 1_000_000);
let count = 0;

function spin(): void {
  const last = new Float64Array(readers.length);
  const cameras = readers.length;
  let nextCheck = process.hrtime.bigint() + 20_000_000n;
  for (let round = 1; ; round++) {
    for (let camera = 0; camera < cameras; camera++) {
      const id = readers[camera]!.latestFrameId();
      // latestFrameId() answers 0 while the writer holds status_seq odd for long (preempted
      // mid-publish): not a new frame. Ids only grow within a generation.
      if (id > last[camera]!) {
        const seen = process.hrtime.bigint();
        last[camera] = id;
        if (id > 0 && count + FIELDS <= records.length) {
          const slot = (id - 1) % slotCounts[camera]!;
          const meta = metas[camera]!;
          const timestamp = slotRecords[camera]![slot]!;
          records[count++] = camera;
          records[count++] = id;
          records[count++] = stamps[camera]![slot * strides[camera]!]! >>> 0;
          records[count++] = Number(seen);
          records[count++] = (meta[timestamp]! >>> 0) + (meta[timestamp + 1]! >>> 0) * 4294967296;
        }
      }
    }
    if ((round & 1023) === 0 && process.hrtime.bigint() > nextCheck) {
      nextCheck = process.hrtime.bigint() + 20_000_000n;
      if (fs.existsSync(params.stopFile)) break;
    }
  }
  fs.writeFileSync(params.out, Buffer.from(records.buffer, 0, count * 8));
  process.exit(0);
}

function sleepMode(): void {
  const seen = readers.map(() => new Set<number>());
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let nextCheck = 0;
  for (;;) {
    for (let camera = 0; camera < readers.length; camera++) {
      const meta = metas[camera]!;
      for (let slot = 0; slot < slotCounts[camera]!; slot++) {
        const timestamp = slotRecords[camera]![slot]!;
        const base = timestamp - (Slot.TIMESTAMP_NS >>> 2);
        const seq = Atomics.load(meta, base + (Slot.SEQ >>> 2));
        if ((seq & 1) !== 0) continue;
        const id = (meta[base + (Slot.FRAME_ID >>> 2)]! >>> 0) + (meta[base + (Slot.FRAME_ID >>> 2) + 1]! >>> 0) * 4294967296;
        const committed = (meta[timestamp]! >>> 0) + (meta[timestamp + 1]! >>> 0) * 4294967296;
        const stamp = stamps[camera]![slot * strides[camera]!]! >>> 0;
        if (Atomics.load(meta, base + (Slot.SEQ >>> 2)) !== seq || id === 0 || seen[camera]!.has(id)) continue;
        seen[camera]!.add(id);
        if (count + FIELDS <= records.length) {
          records[count++] = camera;
          records[count++] = id;
          records[count++] = stamp;
          records[count++] = Number(process.hrtime.bigint());
          records[count++] = committed;
        }
      }
    }
    Atomics.wait(pause, 0, 0, 1);
    if (++nextCheck % 20 === 0 && fs.existsSync(params.stopFile)) break;
  }
  fs.writeFileSync(params.out, Buffer.from(records.buffer, 0, count * 8));
  process.exit(0);
}

process.send!({ type: 'ready' }, () => (params.mode === 'sleep' ? sleepMode() : spin()));
