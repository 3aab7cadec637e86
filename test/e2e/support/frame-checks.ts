/**
 * What a reader process's frames must show, shared by the end-to-end tests: every frame at the
 * export geometry, the camera's counter readable, its colour bars right, counters increasing
 * with frame ids.
 */
import { expect } from 'chai';
import { COUNTER_MODULUS } from '../../fixtures/camera/frame-pattern';
import { computeLayout } from '../../../src/layout/frame-export-layout';
import type { FrameLine } from './reader-process';

/** Step between two counters, modulo the counter's 20 bits. */
export function counterStep(from: number, to: number): number {
  return (to - from + COUNTER_MODULUS) % COUNTER_MODULUS;
}

/** Frames per second between two frames of one generation, from ids and timestamp_ns. */
export function frameRate(first: FrameLine, last: FrameLine): number {
  return ((last.id - first.id) * 1000) / (last.ts - first.ts);
}

/**
 * Checks what a reader process saw of one camera (at least 2 frames, see the header). Returns
 * the frames the tap lost over them: frames FFmpeg produced (counter range) minus frames
 * committed (id range).
 */
export function expectGoodFrames(frames: readonly FrameLine[], what: string, geometry: { width: number; height: number }, slots: number): number {
  expect(frames.length, `${what}: frames seen`).to.be.greaterThan(1);
  const frameSize = computeLayout(geometry, slots).frameSize;
  for (const f of frames) {
    expect({ w: f.w, h: f.h, frameSize: f.frameSize, dataSize: f.dataSize, bytes: f.bytes }, `${what}: geometry of frame ${f.id}`)
      .to.deep.equal({ w: geometry.width, h: geometry.height, frameSize, dataSize: frameSize, bytes: frameSize });
    expect(f.counter, `${what}: counter of frame ${f.id} unreadable`).to.not.equal(null);
    expect(f.bad, `${what}: colour bars of frame ${f.id}`).to.deep.equal([]);
    expect(f.framesWritten, `${what}: frames_written vs latest_frame_id`).to.equal(f.latestFrameId);
    expect([f.droppedSizeMismatch, f.droppedTruncated], `${what}: dropped counters`).to.deep.equal([0, 0]);
  }
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!;
    const b = frames[i]!;
    expect(b.gen, `${what}: generation changed inside the run`).to.equal(a.gen);
    expect(b.id, `${what}: frame ids`).to.be.greaterThan(a.id);
    const step = counterStep(a.counter!, b.counter!);
    expect(step, `${what}: counter ${a.counter} (id ${a.id}) -> ${b.counter} (id ${b.id})`).to.be.greaterThan(0);
  }
  const first = frames[0]!;
  const last = frames[frames.length - 1]!;
  return counterStep(first.counter!, last.counter!) - (last.id - first.id);
}
