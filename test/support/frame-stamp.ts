/**
 * A verifiable frame pattern: the frame number is stamped at the start, the middle and near the
 * end, the body is derived from it, and the last 4 bytes hold an FNV-1a checksum of everything
 * before them. A torn frame (bytes of two frames) fails verification.
 */
export function stampFrame(frame: Uint8Array, frameNumber: number): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const end = frame.length - 4;
  const seed = frameNumber & 0xff;
  for (let i = 0; i < end; i += 97) frame[i] = (seed + i) & 0xff;
  view.setUint32(0, frameNumber, true);
  view.setUint32(alignedMiddle(frame.length), frameNumber, true);
  view.setUint32(end - 4, frameNumber, true);
  view.setUint32(end, fnv1a(frame, end), true);
}

/** The stamped frame number, or -1 if the frame is not exactly one stamped frame. */
export function verifyFrame(frame: Uint8Array): number {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const end = frame.length - 4;
  const frameNumber = view.getUint32(0, true);
  if (view.getUint32(alignedMiddle(frame.length), true) !== frameNumber) return -1;
  if (view.getUint32(end - 4, true) !== frameNumber) return -1;
  if (view.getUint32(end, true) !== fnv1a(frame, end)) return -1;
  return frameNumber;
}

function alignedMiddle(length: number): number {
  return (length >>> 1) & ~3;
}

export function fnv1a(bytes: Uint8Array, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
