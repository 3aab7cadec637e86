import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const PROBE = path.join(__dirname, '..', 'support', 'alloc-probe.js');

interface ProbeResult {
  minorGcs: number;
  majorGcs: number;
  frames: number;
  sink: number | boolean;
}

function probe(mode: string, frames = 100_000): ProbeResult {
  const output = execFileSync(process.execPath, ['--max-semi-space-size=1', PROBE, mode, String(frames)], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop()!) as ProbeResult;
}

describe('allocation: no heap allocation per frame (1 MiB semi-space, GC observer)', function () {
  this.timeout(60_000);

  it('the probe detects a 32-byte allocation per frame (positive control)', () => {
    const result = probe('control');
    expect(result.minorGcs, JSON.stringify(result)).to.be.greaterThan(0);
  });

  it('the live hook pushes 100,000 frames without a single young-generation GC', () => {
    const result = probe('live');
    expect(result, JSON.stringify(result)).to.deep.include({ frames: 100_000, minorGcs: 0 });
  });

  it('FrameReader.readInto copies 100,000 frames of a real export (writer and futex wake in the same process) without one', () => {
    const result = probe('reader');
    expect(result, JSON.stringify(result)).to.deep.include({ frames: 100_000, minorGcs: 0 });
    expect(result.sink, 'frames copied, warm-up included').to.equal(105_000);
  });

  it('NOOP_HOOK allocates nothing per call', () => {
    const result = probe('noop');
    expect(result, JSON.stringify(result)).to.deep.include({ frames: 100_000, minorGcs: 0 });
  });
});
