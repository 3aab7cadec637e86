/**
 * Self-verifying synthetic NV12 frames for the hardening tests.
 *
 * A frame carries its own sequence number (u32 little-endian) at several offsets spread over the
 * whole frame, and a 64-bit FNV-1a over bytes [0, size - 8) in its last 8 bytes (low u32, then
 * high u32). A reader that accepts a frame checks every stamp against the frame id it was given
 * and recomputes the checksum: a copy that mixes bytes of two frames (a torn read) fails one of
 * the two checks unless both frames are byte-identical in the mixed range.
 *
 * Writers keep a small pool of random base frames and use base[seq % POOL] for frame seq, so
 * consecutive frames differ everywhere, not only at the stamps.
 */
import { randomBytes } from 'node:crypto';

export const POOL_SIZE = 7;
/** 64-bit FNV-1a over bytes[0, end), as [low u32, high u32]. */
export function fnv1a64(bytes: Uint8Array, end: number = bytes.length): [number, number] {
  // The hash as four 16-bit limbs (v3 v2 v1 v0), so every step is exact int32 arithmetic.
  // Offset basis 0xcbf29ce484222325; prime 2^40 + 0x1b3.
  let v0 = 0x2325;
  let v1 = 0x8422;
  let v2 = 0x9ce4;
  let v3 = 0xcbf2;
  for (let i = 0; i < end; i++) {
    v0 ^= bytes[i]!;
    const t0 = v0 * 0x1b3;
    let t1 = v1 * 0x1b3;
    let t2 = v2 * 0x1b3;
    const t3 = v3 * 0x1b3 + (v1 << 8);
    t2 += v0 << 8;
    t1 += t0 >>> 16;
    v0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    v1 = t1 & 0xffff;
    v3 = (t3 + (t2 >>> 16)) & 0xffff;
    v2 = t2 & 0xffff;
  }
  return [((v1 << 16) | v0) >>> 0, ((v3 << 16) | v2) >>> 0];
}

/** Stamp offsets for a frame of `size` bytes: nine u32 positions from 0 to just before the checksum. */
export function stampOffsets(size: number): number[] {
  const last = size - 12;
  const offsets = new Set<number>();
  for (let k = 0; k < 8; k++) offsets.add(Math.floor((last * k) / 8 / 4) * 4);
  offsets.add(last);
  return [...offsets].sort((a, b) => a - b);
}

function u32At(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

function setU32At(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** Writes the stamps and the checksum of frame `seq` into `frame` (in place). */
export function stampFrame(frame: Uint8Array, seq: number, offsets: readonly number[] = stampOffsets(frame.length)): void {
  const value = seq >>> 0;
  for (const offset of offsets) setU32At(frame, offset, value);
  const [lo, hi] = fnv1a64(frame, frame.length - 8);
  setU32At(frame, frame.length - 8, lo);
  setU32At(frame, frame.length - 4, hi);
}

/** Null if `frame` is exactly a stamped frame number `seq`, else what is wrong with it. */
export function frameProblem(frame: Uint8Array, seq: number, offsets: readonly number[] = stampOffsets(frame.length)): string | null {
  const value = seq >>> 0;
  for (const offset of offsets) {
    const found = u32At(frame, offset);
    if (found !== value) return `stamp at ${offset} is ${found}, frame id ${value}`;
  }
  const [lo, hi] = fnv1a64(frame, frame.length - 8);
  const storedLo = u32At(frame, frame.length - 8);
  const storedHi = u32At(frame, frame.length - 4);
  if (storedLo !== lo || storedHi !== hi) {
    return `checksum ${storedHi.toString(16)}:${storedLo.toString(16)} != computed ${hi.toString(16)}:${lo.toString(16)}`;
  }
  return null;
}

/** The stamp of a frame (its first u32), for diagnostics. */
export function frameStamp(frame: Uint8Array): number {
  return u32At(frame, 0);
}

/** A pool of random frames of one size and a counter: next() returns the next stamped frame. */
export class FrameSource {
  readonly offsets: number[];
  private readonly pool: Uint8Array[] = [];
  seq = 0;

  constructor(readonly size: number) {
    this.offsets = stampOffsets(size);
    for (let i = 0; i < POOL_SIZE; i++) this.pool.push(new Uint8Array(randomBytes(size)));
  }

  /** Frame number ++seq, stamped in a pool buffer (valid until the pool wraps around). */
  next(): Uint8Array {
    this.seq++;
    const frame = this.pool[this.seq % POOL_SIZE]!;
    stampFrame(frame, this.seq, this.offsets);
    return frame;
  }
}
