/**
 * The recording as the reference host (and upstream VAS) writes it: <dir>/stream.m3u8 and
 * <dir>/<YYYYMMDD>/segment-<n>.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface HlsState {
  /** Segment files on disk (relative to the recording dir), sorted. A file appears when FFmpeg opens it. */
  readonly files: readonly string[];
  /** Segments listed in stream.m3u8 (closed segments), in order. */
  readonly listed: readonly string[];
}

export function hlsState(dir: string): HlsState {
  const files: string[] = [];
  try {
    for (const day of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!day.isDirectory()) continue;
      for (const f of fs.readdirSync(path.join(dir, day.name))) if (f.endsWith('.ts')) files.push(path.join(day.name, f));
    }
  } catch {
    // not created yet
  }
  let listed: string[] = [];
  try {
    listed = fs.readFileSync(path.join(dir, 'stream.m3u8'), 'utf8').split('\n').filter((l) => l.endsWith('.ts'));
  } catch {
    // no playlist yet
  }
  return { files: files.sort(), listed };
}

/** Segments listed in `after` that `before` did not list. */
export function newlyListed(before: HlsState, after: HlsState): string[] {
  const seen = new Set(before.listed);
  return after.listed.filter((s) => !seen.has(s));
}
