import { expect } from 'chai';
import { ColorMatrix, Header, Slot, WriterState, computeLayout, slotRecordOffset, HEADER_SIZE_V2, SLOT_META_SIZE_V1 } from '../../src/layout/frame-export-layout';
import { NO_WAKER } from '../../src/ring/futex-waker';
import { MetaEncoder } from '../../src/meta/meta-encoder';
import { decodeHeader, readStatusBlock } from '../../src/meta/meta-decoder';
import { MetaView } from '../../src/meta/meta-view';
import { FrameRing } from '../../src/ring/frame-ring';
import { SlotReader } from '../../src/reader/slot-reader';
import { FakeClock, FixedWriterIdentity } from '../support/fake-clock';

function makeRing(slots = 3, width = 16, height = 8) {
  const layout = computeLayout({ width, height }, slots);
  const meta = new MetaView(new ArrayBuffer(layout.metaFileSize));
  const data = new Uint8Array(layout.dataFileSize);
  const clock = new FakeClock();
  new MetaEncoder(clock, new FixedWriterIdentity()).encode(meta, layout, ColorMatrix.BT709);
  const header = decodeHeader(meta, layout.metaFileSize, layout.dataFileSize);
  if (typeof header === 'string') throw new Error(header);
  return { layout, meta, data, clock, ring: new FrameRing(meta, data, layout, clock, NO_WAKER), reader: new SlotReader('cam', meta, data, header) };
}

function frameOf(size: number, value: number): Uint8Array {
  return new Uint8Array(size).fill(value);
}

describe('ring: FrameRing and SlotReader on stubbed memory', () => {
  it('round-trips the header through encoder and decoder', () => {
    const { layout, meta } = makeRing(5, 64, 32);
    const header = decodeHeader(meta, layout.metaFileSize, layout.dataFileSize);
    expect(header).to.deep.include({
      version: 2, headerSize: HEADER_SIZE_V2, slotMetaSize: SLOT_META_SIZE_V1, slotCount: 5, slotStride: 4096,
      width: 64, height: 32, yStride: 64, uvStride: 64, uvOffset: 2048, frameSize: 3072, writerPid: 4242,
      writerPidns: 4026531836, heartbeatIntervalMs: 250,
    });
    expect(meta.u32(Header.STATE)).to.equal(WriterState.LIVE);
    expect((header as { generation: bigint }).generation).to.equal((0x5a5a0000n << 32n) | 1n);
    for (let i = 0; i < 5; i++) {
      const record = slotRecordOffset(HEADER_SIZE_V2, SLOT_META_SIZE_V1, i);
      expect(meta.u32(record + Slot.INDEX)).to.equal(i);
      expect(meta.u64Number(record + Slot.DATA_OFFSET)).to.equal(i * 4096);
    }
  });

  it('refuses a header with a field out of line, naming it', () => {
    const { layout, meta } = makeRing();
    meta.setU32(Header.FRAME_SIZE, 7);
    expect(decodeHeader(meta, layout.metaFileSize, layout.dataFileSize)).to.be.a('string').and.contain('frame_size 7');
    const fresh = makeRing();
    expect(decodeHeader(fresh.meta, fresh.layout.metaFileSize, 100)).to.contain('frame.data is 100 bytes');
  });

  it('writes frame id n into slot (n-1) mod slots and overwrites the oldest on wrap-around', () => {
    const { layout, data, ring, reader, meta } = makeRing(3);
    for (let id = 1; id <= 7; id++) expect(ring.writeFrame(frameOf(layout.frameSize, id))).to.equal(true);
    expect(reader.latest()!.meta.frameId).to.equal(7);
    expect(reader.latest()!.meta.slot).to.equal(0);
    expect(data[0]).to.equal(7); // slot 0 held 1, 4, then 7
    expect(data[layout.slotStride]).to.equal(5);
    expect(data[2 * layout.slotStride]).to.equal(6);
    expect(reader.readSlot(6)!.data[0]).to.equal(6);
    expect(reader.readSlot(4), 'overwritten by 7').to.equal(null);
    const status = readStatusBlock(meta)!;
    expect(status).to.deep.include({ latestFrameId: 7, framesWritten: 7, droppedSizeMismatch: 0 });
  });

  it('keeps seq odd while a frame is written and rejects reads of it', () => {
    const { layout, meta, ring, reader } = makeRing(2);
    ring.writeFrame(frameOf(layout.frameSize, 1));
    const slot = ring.beginFrame();
    const record = slotRecordOffset(HEADER_SIZE_V2, SLOT_META_SIZE_V1, slot);
    expect(meta.u32(record + Slot.SEQ) & 1).to.equal(1);
    expect(reader.readSlot(2)).to.equal(null);
    expect(reader.latest()!.meta.frameId, 'latest is still the committed frame').to.equal(1);
    ring.commitFrame();
    expect(meta.u32(record + Slot.SEQ) & 1).to.equal(0);
    expect(reader.latest()!.meta.frameId).to.equal(2);
  });

  it('detects a slot overwritten during the copy (seq changed) and never returns it', () => {
    const { layout, meta, ring, reader } = makeRing(2);
    ring.writeFrame(frameOf(layout.frameSize, 1));
    const record = slotRecordOffset(HEADER_SIZE_V2, SLOT_META_SIZE_V1, 0);
    const realSlice = Uint8Array.prototype.slice;
    let calls = 0;
    // Simulate the writer lapping the reader between its two seq reads.
    (reader as unknown as { data: Uint8Array }).data.slice = function (this: Uint8Array, ...args: [number?, number?]) {
      calls++;
      meta.storeU32(record + Slot.SEQ, meta.u32(record + Slot.SEQ) + 2);
      return realSlice.apply(this, args);
    };
    expect(reader.readSlot(1)).to.equal(null);
    expect(calls).to.equal(1);
  });

  it('abortFrame makes a partly written slot unreadable forever; cancelFrame keeps the old frame', () => {
    const { layout, ring, reader, meta } = makeRing(2);
    ring.writeFrame(frameOf(layout.frameSize, 1));
    ring.writeFrame(frameOf(layout.frameSize, 2));
    ring.beginFrame(); // slot 0, holding frame 1
    ring.cancelFrame();
    expect(reader.readSlot(1)!.data[0]).to.equal(1);
    ring.beginFrame();
    ring.abortFrame();
    expect(reader.readSlot(1), 'frame 1 must not validate after partial overwrite').to.equal(null);
    expect(readStatusBlock(meta)).to.deep.include({ latestFrameId: 2, droppedTruncated: 1 });
    ring.writeFrame(frameOf(layout.frameSize, 3));
    expect(reader.latest()!.meta.frameId).to.equal(3);
  });

  it('counts a frame of the wrong size and writes nothing', () => {
    const { layout, ring, data, meta } = makeRing(2);
    expect(ring.writeFrame(frameOf(layout.frameSize + 1, 9))).to.equal(false);
    expect(ring.writeFrame(frameOf(layout.frameSize - 1, 9))).to.equal(false);
    expect(data.every((byte) => byte === 0)).to.equal(true);
    expect(readStatusBlock(meta)).to.deep.include({ latestFrameId: 0, droppedSizeMismatch: 2 });
  });

  it('stamps monotonic and wall-clock time and publishes the heartbeat', () => {
    const { layout, ring, reader, clock, meta } = makeRing(2);
    clock.advance(5_000_000);
    ring.writeFrame(frameOf(layout.frameSize, 1));
    const frame = reader.latest()!;
    expect(frame.meta.timestampNs).to.equal(1000n * 1_000_000_000n + 5_000_000n);
    expect(frame.meta.wallClockNs).to.equal(1_700_000_000n * 1_000_000_000n + 5_000_000n);
    clock.advance(1_000_000_000);
    ring.heartbeat();
    expect(readStatusBlock(meta)!.heartbeatNs).to.equal(1001n * 1_000_000_000n + 5_000_000n);
  });

  it('a new owner continues the counters the previous one left', () => {
    const { layout, ring, meta, data, clock, reader } = makeRing(3);
    for (let id = 1; id <= 4; id++) ring.writeFrame(frameOf(layout.frameSize, id));
    const next = new FrameRing(meta, data, layout, clock, NO_WAKER);
    next.writeFrame(frameOf(layout.frameSize, 5));
    expect(reader.latest()!.meta.frameId).to.equal(5);
    expect(readStatusBlock(meta)!.framesWritten).to.equal(5);
  });
});
