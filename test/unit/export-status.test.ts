import { expect } from 'chai';
import { ColorMatrix, Header, Slot, WriterState, computeLayout, slotRecordOffset } from '../../src/layout/frame-export-layout';
import { MetaEncoder } from '../../src/meta/meta-encoder';
import { decodeHeader, type ExportStatusBlock } from '../../src/meta/meta-decoder';
import { MetaView } from '../../src/meta/meta-view';
import { monotonicNs, ownPidNamespace, processState, statusOfState, writerDeathReason } from '../../src/status/export-status';
import { FakeClock, FixedWriterIdentity } from '../support/fake-clock';
import { zombieProcess } from '../support/zombie';

function statusAt(heartbeatNs: bigint): ExportStatusBlock {
  return { latestFrameId: 1, heartbeatNs, framesWritten: 1, droppedSizeMismatch: 0, droppedTruncated: 0 };
}

describe('status: the one liveness rule (format spec 6.3)', () => {
  const now = monotonicNs();
  const fresh = statusAt(now - 100_000_000n);
  const stale = statusAt(now - 2_500_000_000n);
  const ownNs = ownPidNamespace();

  it('same pid namespace: a running writer is alive, a gone one dead', () => {
    expect(writerDeathReason({ writerPid: process.pid, writerPidns: ownNs }, fresh, now, 0)).to.equal(null);
    expect(writerDeathReason({ writerPid: 999_999, writerPidns: ownNs }, fresh, now, 0)).to.match(/pid 999999 is not running/);
  });

  it('same pid namespace: a zombie writer (killed, not reaped; kill(pid, 0) still succeeds) is dead at once', async () => {
    const { parent, pid: zombie } = await zombieProcess();
    try {
      expect(() => process.kill(zombie, 0), 'kill(pid, 0) succeeds on a zombie').not.to.throw();
      expect(processState(zombie)).to.equal('zombie');
      expect(writerDeathReason({ writerPid: zombie, writerPidns: ownNs }, fresh, now, 0)).to.match(/zombie/);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('another pid namespace: the pid is never checked, only the heartbeat', () => {
    const otherNs = ownNs + 1;
    // pid 999999 does not exist here, but in the writer's namespace it may: fresh heartbeat = alive.
    expect(writerDeathReason({ writerPid: 999_999, writerPidns: otherNs }, fresh, now, 0)).to.equal(null);
    // Our own pid is alive here but means nothing for a writer elsewhere: stale heartbeat = dead.
    expect(writerDeathReason({ writerPid: process.pid, writerPidns: otherNs }, stale, now, 0)).to.match(/heartbeat is 2\.5 s old/);
    expect(writerDeathReason({ writerPid: process.pid, writerPidns: 0 }, stale, now, 0), 'unknown namespace').to.match(/heartbeat/);
  });

  it('a status block busy for more than 2 s in a row is a writer that died inside an update; once is not', () => {
    const writer = { writerPid: 999_999, writerPidns: ownNs + 1 };
    expect(writerDeathReason(writer, null, now, 0)).to.equal(null);
    expect(writerDeathReason(writer, null, now, 1999)).to.equal(null);
    expect(writerDeathReason(writer, null, now, 2001)).to.match(/unfinished for 2\.0 s/);
  });

  it('never signals pid 0 or a negative pid', () => {
    expect(processState(0)).to.equal('gone');
    expect(processState(-1)).to.equal('gone');
  });

  it('state decides first: STOPPED is not-present, LIVE and IDLE go on, anything else is invalid', () => {
    expect(statusOfState(WriterState.STOPPED)).to.deep.equal({ status: 'not-present', reason: null });
    expect(statusOfState(WriterState.LIVE)).to.equal(null);
    expect(statusOfState(WriterState.IDLE)).to.equal(null);
    expect(statusOfState(7)).to.deep.include({ status: 'invalid' });
  });
});

describe('status: attach validation (format spec 7)', () => {
  function valid() {
    const layout = computeLayout({ width: 16, height: 8 }, 3);
    const meta = new MetaView(new ArrayBuffer(layout.metaFileSize));
    new MetaEncoder(new FakeClock(), new FixedWriterIdentity()).encode(meta, layout, ColorMatrix.BT709);
    return { layout, meta };
  }

  const cases: Array<[string, (meta: MetaView, layout: ReturnType<typeof computeLayout>) => number | void, RegExp]> = [
    ['a meta file shorter than the v1 header', () => 100, /frame\.meta is 100 bytes, shorter than the 128-byte/],
    ['generation 0', (meta) => meta.setU64Halves(Header.GENERATION, 0, 0), /generation is 0/],
    ['header_size not a multiple of 8', (meta) => meta.setU32(Header.HEADER_SIZE, 164), /header_size 164/],
    ['a v2 header_size below 160', (meta) => meta.setU32(Header.HEADER_SIZE, 128), /header_size 128 is below 160/],
    ['slot_index != i', (meta) => meta.setU32(slotRecordOffset(160, 64, 1) + Slot.INDEX, 2), /slot record 1: slot_index 2 != 1/],
    ['a data_offset past frame.data', (meta, layout) => meta.setU64Number(slotRecordOffset(160, 64, 2) + Slot.DATA_OFFSET, layout.dataFileSize), /slot record 2: data_offset/],
    ['uv_stride below width', (meta) => meta.setU32(Header.UV_STRIDE, 8), /uv_stride 8 < width 16/],
  ];
  for (const [name, spoil, problem] of cases) {
    it(`refuses ${name}, naming the field and both values`, () => {
      const { layout, meta } = valid();
      const metaSize = spoil(meta, layout) ?? layout.metaFileSize;
      expect(decodeHeader(meta, metaSize, layout.dataFileSize)).to.be.a('string').and.match(problem);
    });
  }

  it('reads a version 1 header with the version 1 defaults (BT.601, limited)', () => {
    const { layout, meta } = valid();
    meta.setU32(Header.VERSION, 1);
    meta.setU32(Header.COLOR_MATRIX, ColorMatrix.BT709); // ignored: not a v1 field
    const header = decodeHeader(meta, layout.metaFileSize, layout.dataFileSize);
    expect(header).to.deep.include({ version: 1, colorMatrix: 'bt601', colorRange: 'limited' });
  });
});
