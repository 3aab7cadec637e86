import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nv12FrameSize } from '../layout/frame-export-layout';
import { ffmpegTapArgs, parseSourceProbe, type FpsModeOption } from './ffmpeg-tap-args';

/** The tap arguments an FFmpeg accepts: its passthrough option, and whether it runs the source probe. */
export interface TapOptions {
  readonly fpsModeOption: FpsModeOption;
  readonly sourceProbe: boolean;
}

/** What a preflight found: the tap arguments this FFmpeg accepts, or why export must stay off. */
export type PreflightVerdict =
  | ({ readonly accepted: true; readonly version: string } & TapOptions)
  | { readonly accepted: false; readonly message: string };

/** Known equivalents, tried in order: `-fps_mode` exists since FFmpeg 5.1, `-vsync` before. */
const FPS_MODE_OPTIONS: readonly FpsModeOption[] = ['-fps_mode', '-vsync'];
const PREFLIGHT_FRAMES = 2;
const verdicts = new Map<string, PreflightVerdict>();

/**
 * Runs the FFmpeg binary VAS runs, once, with exactly the tap's output arguments on a tiny lavfi
 * source, before any camera is started with them: a camera must never start with arguments its
 * FFmpeg rejects (it would exit, and its RTP and HLS with it). Synchronous and bounded by
 * `timeoutMs` per run; called once when the live hook is created (VAS's start-up, never on the
 * frame path). The verdict is cached per binary (its real path, size and mtime).
 */
export function preflightFfmpeg(binary: string, width: number, height: number, timeoutMs = 10_000): PreflightVerdict {
  const resolved = resolveBinary(binary);
  if (resolved === null) {
    return { accepted: false, message: `FFmpeg ${JSON.stringify(binary)} (AI_FRAME_EXPORT_FFMPEG) was not found${binary.includes('/') ? '' : ' on PATH'}; frame export is off` };
  }
  const key = `${resolved.path}:${resolved.size}:${resolved.mtimeMs}:${width}x${height}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = runPreflight(resolved.path, width, height, timeoutMs);
    verdicts.set(key, verdict);
  }
  return verdict;
}

function runPreflight(binary: string, width: number, height: number, timeoutMs: number): PreflightVerdict {
  const version = ffmpegVersion(binary, timeoutMs);
  const frameSize = nv12FrameSize(width, height);
  let rejection = '';
  for (const fpsModeOption of FPS_MODE_OPTIONS) {
    let fpsModeRejected = false;
    // With the source probe first; without it, the frames alone are still worth exporting.
    for (const sourceProbe of [true, false]) {
      const run = spawnSync(binary, [
        '-hide_banner', '-nostdin', '-loglevel', 'error',
        '-f', 'lavfi', '-t', String(PREFLIGHT_FRAMES / 10), '-i', `testsrc=size=${PROBE_SOURCE.width}x${PROBE_SOURCE.height}:rate=10`,
        ...ffmpegTapArgs(width, height, 3, fpsModeOption, sourceProbe ? 4 : null),
      ], {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe', ...(sourceProbe ? ['pipe' as const] : [])],
        timeout: timeoutMs,
        maxBuffer: (PREFLIGHT_FRAMES + 2) * frameSize,
      });
      const produced = (run.output?.[3] as Buffer | null)?.length ?? 0;
      const framesOk = run.status === 0 && produced >= frameSize && produced % frameSize === 0;
      const probeOk = !sourceProbe || sameGeometry(parseSourceProbe((run.output?.[4] as Buffer | null)?.toString('latin1', 0, 256) ?? ''));
      if (framesOk && probeOk) return { accepted: true, fpsModeOption, sourceProbe, version };
      const stderr = (run.stderr?.toString() ?? '').trim();
      rejection = run.error !== undefined
        ? `${run.error.message}`
        : firstLine(stderr) || `exit status ${run.status ?? run.signal}, ${produced} bytes of frames for frames of ${frameSize}`;
      // A rejected fps option has a known equivalent: try it (with the probe again).
      fpsModeRejected = /fps_mode/.test(stderr);
      if (fpsModeRejected) break;
    }
    if (!fpsModeRejected) break;
  }
  return {
    accepted: false,
    message: `${version} at ${binary} rejects the frame tap's arguments (${rejection}); frame export is off, cameras start unchanged`,
  };
}

const PROBE_SOURCE = { width: 64, height: 48 };

function sameGeometry(found: { width: number; height: number } | null): boolean {
  return found !== null && found.width === PROBE_SOURCE.width && found.height === PROBE_SOURCE.height;
}

function ffmpegVersion(binary: string, timeoutMs: number): string {
  const run = spawnSync(binary, ['-version'], { encoding: 'utf8', timeout: timeoutMs });
  const line = firstLine(run.stdout ?? '');
  const match = /^ffmpeg version (\S+)/.exec(line);
  return match !== null ? `FFmpeg ${match[1]}` : `FFmpeg (version unknown: ${line || 'no output'})`;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim().slice(0, 200) ?? '';
}

/** The binary VAS would run: an absolute path, or the first executable of that name on PATH. */
function resolveBinary(binary: string): { path: string; size: number; mtimeMs: number } | null {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env.PATH ?? '').split(':').filter((dir) => dir !== '').map((dir) => path.join(dir, binary));
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      const real = fs.realpathSync(candidate);
      const stat = fs.statSync(real);
      if (stat.isFile()) return { path: real, size: stat.size, mtimeMs: stat.mtimeMs };
    } catch {
      // not this one
    }
  }
  return null;
}
