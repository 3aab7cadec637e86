/**
 * Typed access to a frame.meta mapping. All fields are u32-aligned, so one Int32Array serves
 * every access: plain reads/writes for fields guarded by a seqlock or never changing, Atomics
 * for the seq counters and `state`. u64 fields are two u32 halves, low first.
 */
export class MetaView {
  readonly i32: Int32Array;

  constructor(buffer: ArrayBuffer, byteLength: number = buffer.byteLength) {
    this.i32 = new Int32Array(buffer, 0, byteLength >>> 2);
  }

  u32(offset: number): number {
    return this.i32[offset >>> 2]! >>> 0;
  }

  setU32(offset: number, value: number): void {
    this.i32[offset >>> 2] = value | 0;
  }

  /** Atomic load (sequentially consistent, so at least acquire). */
  loadU32(offset: number): number {
    return Atomics.load(this.i32, offset >>> 2) >>> 0;
  }

  /** Atomic store (sequentially consistent, so at least release). */
  storeU32(offset: number, value: number): void {
    Atomics.store(this.i32, offset >>> 2, value | 0);
  }

  /** A u64 known to stay below 2^53 (frame ids, counters). */
  u64Number(offset: number): number {
    const index = offset >>> 2;
    return (this.i32[index]! >>> 0) + (this.i32[index + 1]! >>> 0) * 4294967296;
  }

  setU64Number(offset: number, value: number): void {
    const index = offset >>> 2;
    this.i32[index] = value % 4294967296 | 0;
    this.i32[index + 1] = Math.floor(value / 4294967296) | 0;
  }

  /** Any u64 (clock values, generation). Allocates a BigInt: reader and setup paths only. */
  u64BigInt(offset: number): bigint {
    const index = offset >>> 2;
    return (BigInt(this.i32[index + 1]! >>> 0) << 32n) | BigInt(this.i32[index]! >>> 0);
  }

  setU64Halves(offset: number, low: number, high: number): void {
    const index = offset >>> 2;
    this.i32[index] = low | 0;
    this.i32[index + 1] = high | 0;
  }
}
