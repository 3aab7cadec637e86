/**
 * NV12 to RGB with BT.601 limited range:
 *   R = 1.164(Y-16) + 1.596(V-128)
 *   G = 1.164(Y-16) - 0.392(U-128) - 0.813(V-128)
 *   B = 1.164(Y-16) + 2.017(U-128)
 * rounded to nearest and clamped to 0..255. One U,V pair covers a 2x2 block of pixels.
 */

export interface Nv12Geometry {
  readonly width: number;
  readonly height: number;
  readonly yStride: number;
  readonly uvStride: number;
  readonly uvOffset: number;
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}

/** RGBA (alpha 255), width * height * 4 bytes, rows top to bottom. */
export function nv12ToRgba(frame: Uint8Array, geometry: Nv12Geometry, target?: Uint8Array): Uint8Array {
  const { width, height, yStride, uvStride, uvOffset } = geometry;
  const needed = uvOffset + uvStride * (height / 2);
  if (frame.length < needed || yStride * height > uvOffset) {
    throw new Error(`NV12 frame of ${frame.length} bytes is too short for ${width}x${height} (needs ${needed})`);
  }
  const out = target ?? new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const yRow = y * yStride;
    const uvRow = uvOffset + (y >> 1) * uvStride;
    let o = y * width * 4;
    for (let x = 0; x < width; x++) {
      const luma = 1.164 * (frame[yRow + x]! - 16);
      const uv = uvRow + (x & ~1);
      const u = frame[uv]! - 128;
      const v = frame[uv + 1]! - 128;
      out[o++] = clamp(luma + 1.596 * v);
      out[o++] = clamp(luma - 0.392 * u - 0.813 * v);
      out[o++] = clamp(luma + 2.017 * u);
      out[o++] = 255;
    }
  }
  return out;
}
