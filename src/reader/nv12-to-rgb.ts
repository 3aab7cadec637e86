/**
 * NV12 to RGB with the matrix and range the export's header records (format spec 3.3):
 *
 *   limited: Y' = (Y - 16) * 255/219, Cb = (U - 128) * 255/224, Cr = (V - 128) * 255/224
 *   full:    Y' = Y,                  Cb = U - 128,               Cr = V - 128
 *   R = Y' + 2(1 - Kr) Cr
 *   G = Y' - 2 Kb (1 - Kb)/Kg Cb - 2 Kr (1 - Kr)/Kg Cr
 *   B = Y' + 2(1 - Kb) Cb          BT.709: Kr .2126, Kb .0722; BT.601: Kr .299, Kb .114
 *
 * rounded to nearest and clamped to 0..255. One U,V pair covers a 2x2 block of pixels. The
 * vas-frames snapshot and the `toRgb` helper both use this one conversion.
 */
import type { FrameMeta } from '../meta/frame-meta';

export type ColorMatrixName = 'bt709' | 'bt601';
export type ColorRangeName = 'limited' | 'full';

export interface Nv12Layout {
  readonly width: number;
  readonly height: number;
  readonly strides: readonly [number, number];
  readonly uvOffset: number;
  readonly colorMatrix: ColorMatrixName;
  readonly colorRange: ColorRangeName;
}

const KR_KB: Record<ColorMatrixName, readonly [number, number]> = { bt709: [0.2126, 0.0722], bt601: [0.299, 0.114] };

/**
 * Converts one NV12 frame to packed RGB (`channels` 3) or RGBA with alpha 255 (`channels` 4),
 * rows top to bottom, into `out` (allocated when not given; reused, nothing is allocated).
 */
export function nv12ToRgb(data: Uint8Array, layout: Nv12Layout, out?: Uint8Array, channels: 3 | 4 = 3): Uint8Array {
  const { width, height, uvOffset } = layout;
  const [yStride, uvStride] = layout.strides;
  const needed = uvOffset + uvStride * (height / 2);
  if (data.length < needed || yStride * height > uvOffset) {
    throw new Error(`NV12 frame of ${data.length} bytes is too short for ${width}x${height} (needs ${needed})`);
  }
  const target = out ?? new Uint8Array(width * height * channels);
  if (target.length < width * height * channels) throw new Error(`output of ${target.length} bytes is too small for ${width}x${height}x${channels}`);
  const [kr, kb] = KR_KB[layout.colorMatrix];
  const kg = 1 - kr - kb;
  const limited = layout.colorRange === 'limited';
  const yScale = limited ? 255 / 219 : 1;
  const yBase = limited ? 16 : 0;
  const cScale = limited ? 255 / 224 : 1;
  const rv = 2 * (1 - kr) * cScale;
  const gu = ((2 * kb * (1 - kb)) / kg) * cScale;
  const gv = ((2 * kr * (1 - kr)) / kg) * cScale;
  const bu = 2 * (1 - kb) * cScale;
  for (let y = 0; y < height; y++) {
    const yRow = y * yStride;
    const uvRow = uvOffset + (y >> 1) * uvStride;
    let o = y * width * channels;
    for (let x = 0; x < width; x++) {
      const luma = (data[yRow + x]! - yBase) * yScale;
      const uv = uvRow + (x & ~1);
      const u = data[uv]! - 128;
      const v = data[uv + 1]! - 128;
      target[o] = clamp(luma + rv * v);
      target[o + 1] = clamp(luma - gu * u - gv * v);
      target[o + 2] = clamp(luma + bu * u);
      if (channels === 4) target[o + 3] = 255;
      o += channels;
    }
  }
  return target;
}

/** A frame (from FrameReader) as packed RGB24, width * height * 3 bytes, in its own colours. */
export function toRgb(frame: { readonly meta: FrameMeta; readonly data: Uint8Array }, out?: Uint8Array): Uint8Array {
  return nv12ToRgb(frame.data, frame.meta, out, 3);
}

function clamp(value: number): number {
  // Uint8Array stores truncate; +0.5 then truncation rounds to nearest for values in range.
  return value <= 0 ? 0 : value >= 255 ? 255 : value + 0.5;
}
