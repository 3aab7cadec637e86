/**
 * Configuration from the environment. This module has no dependencies: the plugin entry reads
 * it with the flag off, and nothing heavy may load on that path.
 */

export type FfiBackend = 'koffi' | 'ffi-rs';

/** The YUV matrix of the cameras' streams, carried through to the export unconverted. */
export type ColorMatrixName = 'bt709' | 'bt601';

export interface FrameExportConfig {
  readonly enabled: true;
  readonly slotCount: number;
  readonly width: number;
  readonly height: number;
  readonly exportDir: string;
  readonly ffi: FfiBackend;
  /** Group (name or numeric gid) given read access to the export, or null. */
  readonly group: string | null;
  /** The FFmpeg binary VAS runs (a name looked up on PATH, or a path): preflight runs it. */
  readonly ffmpeg: string;
  readonly colorMatrix: ColorMatrixName;
}

export type ConfigResult =
  | { readonly kind: 'disabled'; readonly warning: string | null }
  | { readonly kind: 'enabled'; readonly config: FrameExportConfig }
  | { readonly kind: 'invalid'; readonly error: string };

export const CONFIG_DEFAULTS = {
  slotCount: 4,
  width: 1280,
  height: 720,
  exportDir: '/dev/shm/vas',
  ffi: 'koffi' as FfiBackend,
  ffmpeg: 'ffmpeg',
  colorMatrix: 'bt709' as ColorMatrixName,
} as const;

export const CONFIG_LIMITS = {
  slotCount: { min: 2, max: 64 },
  width: { min: 16, max: 7680 },
  height: { min: 16, max: 4320 },
} as const;

export type Env = Readonly<Record<string, string | undefined>>;

const TRUE_VALUES = new Set(['true', '1']);
const FALSE_VALUES = new Set(['false', '0']);

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number, even: boolean): number | string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const text = raw.trim();
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  const accepted = `an ${even ? 'even ' : ''}integer from ${min} to ${max} (default ${fallback})`;
  if (!Number.isSafeInteger(value) || value < min || value > max || (even && value % 2 !== 0)) {
    return `${name}=${JSON.stringify(raw)} is invalid: expected ${accepted}`;
  }
  return value;
}

export function parseFrameExportConfig(env: Env = process.env): ConfigResult {
  const flag = env.AI_FRAME_EXPORT_ENABLED;
  if (flag === undefined || flag.trim() === '') return { kind: 'disabled', warning: null };
  const normalized = flag.trim().toLowerCase();
  if (FALSE_VALUES.has(normalized)) return { kind: 'disabled', warning: null };
  if (!TRUE_VALUES.has(normalized)) {
    return {
      kind: 'disabled',
      warning: `AI_FRAME_EXPORT_ENABLED=${JSON.stringify(flag)} is not one of true/false/1/0 (any case): frame export stays off`,
    };
  }

  const slotCount = parseInteger(env, 'AI_FRAME_BUFFER_CAPACITY', CONFIG_DEFAULTS.slotCount,
    CONFIG_LIMITS.slotCount.min, CONFIG_LIMITS.slotCount.max, false);
  if (typeof slotCount === 'string') return { kind: 'invalid', error: slotCount };
  const width = parseInteger(env, 'AI_FRAME_WIDTH', CONFIG_DEFAULTS.width,
    CONFIG_LIMITS.width.min, CONFIG_LIMITS.width.max, true);
  if (typeof width === 'string') return { kind: 'invalid', error: width };
  const height = parseInteger(env, 'AI_FRAME_HEIGHT', CONFIG_DEFAULTS.height,
    CONFIG_LIMITS.height.min, CONFIG_LIMITS.height.max, true);
  if (typeof height === 'string') return { kind: 'invalid', error: height };

  const dirRaw = env.AI_FRAME_EXPORT_DIR;
  const exportDir = dirRaw === undefined || dirRaw === '' ? CONFIG_DEFAULTS.exportDir : dirRaw;
  if (!exportDir.startsWith('/') || exportDir.includes('\0') || exportDir.split('/').includes('..')) {
    return {
      kind: 'invalid',
      error: `AI_FRAME_EXPORT_DIR=${JSON.stringify(dirRaw)} is invalid: expected an absolute path without ".." (default ${CONFIG_DEFAULTS.exportDir})`,
    };
  }

  const ffiRaw = env.AI_FRAME_EXPORT_FFI;
  const ffi = ffiRaw === undefined || ffiRaw === '' ? CONFIG_DEFAULTS.ffi : ffiRaw.trim().toLowerCase();
  if (ffi !== 'koffi' && ffi !== 'ffi-rs') {
    return { kind: 'invalid', error: `AI_FRAME_EXPORT_FFI=${JSON.stringify(ffiRaw)} is invalid: expected koffi (default) or ffi-rs` };
  }

  const groupRaw = env.AI_FRAME_EXPORT_GROUP;
  const group = groupRaw === undefined || groupRaw.trim() === '' ? null : groupRaw.trim();
  if (group !== null && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/.test(group)) {
    return { kind: 'invalid', error: `AI_FRAME_EXPORT_GROUP=${JSON.stringify(groupRaw)} is invalid: expected a group name or numeric gid` };
  }

  const ffmpegRaw = env.AI_FRAME_EXPORT_FFMPEG;
  const ffmpeg = ffmpegRaw === undefined || ffmpegRaw.trim() === '' ? CONFIG_DEFAULTS.ffmpeg : ffmpegRaw.trim();
  if (ffmpeg.includes('\0') || (ffmpeg.includes('/') && !ffmpeg.startsWith('/'))) {
    return {
      kind: 'invalid',
      error: `AI_FRAME_EXPORT_FFMPEG=${JSON.stringify(ffmpegRaw)} is invalid: expected a command name on PATH or an absolute path (default ${CONFIG_DEFAULTS.ffmpeg})`,
    };
  }

  const matrixRaw = env.AI_FRAME_COLOR_MATRIX;
  const colorMatrix = matrixRaw === undefined || matrixRaw.trim() === '' ? CONFIG_DEFAULTS.colorMatrix : matrixRaw.trim().toLowerCase();
  if (colorMatrix !== 'bt709' && colorMatrix !== 'bt601') {
    return { kind: 'invalid', error: `AI_FRAME_COLOR_MATRIX=${JSON.stringify(matrixRaw)} is invalid: expected bt709 (default) or bt601` };
  }

  return { kind: 'enabled', config: { enabled: true, slotCount, width, height, exportDir, ffi, group, ffmpeg, colorMatrix } };
}
