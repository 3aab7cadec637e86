import type { LibC } from '../ffi/libc';

/**
 * Clock reads straight into the meta mapping, as u64 nanoseconds in two u32 halves.
 * No BigInt and no Date: both allocate, and these run once or twice per frame.
 */
export interface FrameClock {
  /** CLOCK_MONOTONIC ns written at u32 index `index` (low) and `index + 1` (high). */
  monotonicInto(target: Int32Array, index: number): void;
  /** CLOCK_REALTIME ns, same shape. */
  realtimeInto(target: Int32Array, index: number): void;
}

const TWO_32 = 4294967296;
const NS_PER_S = 1e9;

/**
 * Stores sec * 1e9 + nsec as a u64 in two u32 halves using only doubles that stay exact:
 * sec < 2^32 is split into 16-bit halves so every partial product stays below 2^47.
 */
export function storeTimespecNs(sec: number, nsec: number, target: Int32Array, index: number): void {
  const secLow16 = sec % 65536;
  const secHigh = (sec - secLow16) / 65536;
  const high = secHigh * NS_PER_S; // weight 2^16
  const highLow16 = high % 65536;
  const highTop = (high - highLow16) / 65536; // weight 2^32
  const low = secLow16 * NS_PER_S + nsec + highLow16 * 65536; // weight 1, < 2^48
  const lowWord = low % TWO_32;
  target[index] = lowWord | 0;
  target[index + 1] = (highTop + (low - lowWord) / TWO_32) | 0;
}

export class LibcFrameClock implements FrameClock {
  /** struct timespec on 64-bit Linux: i64 tv_sec, i64 tv_nsec. */
  private readonly timespec = new Int32Array(4);

  constructor(private readonly libc: LibC) {}

  monotonicInto(target: Int32Array, index: number): void {
    this.libc.clockMonotonic(this.timespec);
    this.store(target, index);
  }

  realtimeInto(target: Int32Array, index: number): void {
    this.libc.clockRealtime(this.timespec);
    this.store(target, index);
  }

  private store(target: Int32Array, index: number): void {
    const ts = this.timespec;
    storeTimespecNs((ts[0]! >>> 0) + ts[1]! * TWO_32, ts[2]! >>> 0, target, index);
  }
}
