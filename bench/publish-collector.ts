/**
 * `node publish-collector.js <dir> <cam,cam,...> <out>`: wakes every millisecond and records,
 * for every slot of every camera (read-only mappings, under the slot's seqlock), the producer's
 * stamp (camera, frame) and the tap's commit time; a frame stays in its slot for slot_count
 * frame periods, so none is missed and nothing spins. Writes double triples to <out> once
 * <dir>/.collector-stop exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadLibC } from '../src/ffi/load-libc';
import { FrameReader } from '../src/index';
import { Slot } from '../src/layout/frame-export-layout';

const [dir, idList, out] = process.argv.slice(2) as [string, string, string];
const libc = loadLibC('koffi');

function mapReadOnly(file: string): Int32Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY);
  const size = fs.fstatSync(fd).size;
  return new Int32Array(libc.view(libc.mmapShared(fd, size, false), size));
}

const cameras = idList.split(',').map((id) => {
  const info = FrameReader.open(id, { dir }).info();
  if (info === null) throw new Error(`camera ${id}: export not present`);
  const { headerSize, slotMetaSize, slotCount, slotStride } = info.header;
  return {
    meta: mapReadOnly(path.join(dir, id, 'frame.meta')),
    data: mapReadOnly(path.join(dir, id, 'frame.data')),
    records: Array.from({ length: slotCount }, (_, slot) => (headerSize + slot * slotMetaSize) >>> 2),
    stride: slotStride >>> 2,
    seen: new Set<number>(),
  };
});

const records: number[] = [];
const pause = new Int32Array(new SharedArrayBuffer(4));
process.stdout.write('ready\n');
for (let round = 1; round % 20 !== 0 || !fs.existsSync(path.join(dir, '.collector-stop')); round++) {
  for (const camera of cameras) {
    camera.records.forEach((base, slot) => {
      const seq = Atomics.load(camera.meta, base + (Slot.SEQ >>> 2));
      const frame = camera.data[slot * camera.stride]! >>> 0;
      const cameraIndex = camera.data[slot * camera.stride + 1]!;
      const committed = (camera.meta[base + (Slot.TIMESTAMP_NS >>> 2)]! >>> 0) + (camera.meta[base + (Slot.TIMESTAMP_NS >>> 2) + 1]! >>> 0) * 2 ** 32;
      if ((seq & 1) !== 0 || Atomics.load(camera.meta, base + (Slot.SEQ >>> 2)) !== seq || committed === 0) return;
      const key = cameraIndex * 2 ** 32 + frame;
      if (camera.seen.has(key)) return;
      camera.seen.add(key);
      records.push(cameraIndex, frame, committed);
    });
  }
  Atomics.wait(pause, 0, 0, 1);
}
fs.writeFileSync(out, new Uint8Array(Float64Array.from(records).buffer));
