/**
 * One row per exported camera, as `ls` and `watch` show it. The sampler keeps one FrameReader
 * per camera between samples so fps is measured from two reads of frames_written and the
 * monotonic clock, for all cameras at once.
 */
import * as path from 'node:path';
import type { ExportInfo } from '../reader/frame-reader';
import { FrameReader } from '../reader/frame-reader';
import { DATA_FILE_NAME, META_FILE_NAME } from '../layout/frame-export-layout';
import { monotonicNs, ownPidNamespace } from '../status/export-status';
import { listCameraIds, readerProblem, slotTimestampNs } from './exports';
import { countReaders, fileKey, scanMappings, type FileKey } from './proc-maps';
import { ExitCode, oneLine, type ExitCodeValue } from './errors';

/** The `ls --json` record: these keys, in this order. */
export interface CameraRow {
  camera_id: string;
  width: number;
  height: number;
  pixel_format: 'NV12';
  slots: number;
  frames_written: number;
  last_frame_id: number;
  fps: number | null;
  last_frame_age_ms: number | null;
  writer_pid: number;
  writer_alive: boolean;
  readers: number;
}

export const ROW_KEYS: readonly (keyof CameraRow)[] = [
  'camera_id', 'width', 'height', 'pixel_format', 'slots', 'frames_written', 'last_frame_id', 'fps',
  'last_frame_age_ms', 'writer_pid', 'writer_alive', 'readers',
];

interface Sample {
  readonly generation: bigint;
  readonly framesWritten: number;
  readonly atNs: bigint;
}

/** An export that could not be read. */
export interface Problem {
  readonly cameraId: string;
  readonly cause: string;
  /** 4 permission denied, 5 anything else. */
  readonly exitCode: ExitCodeValue;
}

export interface Collected {
  readonly rows: CameraRow[];
  readonly problems: Problem[];
}

export function problemLine(problem: Problem): string {
  return `${problem.cameraId}: ${problem.cause}`;
}

export class CameraSampler {
  private readonly readers = new Map<string, FrameReader>();
  private readonly previous = new Map<string, Sample>();
  private readonly pidNamespace = ownPidNamespace();

  /** `only`: restrict to one camera id. */
  constructor(readonly dir: string, private readonly only: string | null = null) {}

  get cameraCount(): number {
    return this.readers.size;
  }

  /** Records the baseline for fps: frames_written and the clock, per camera. */
  sample(): Problem[] {
    const problems = this.discover();
    for (const [cameraId, reader] of this.readers) {
      const info = reader.info();
      if (info !== null) this.remember(cameraId, info, monotonicNs());
    }
    return problems;
  }

  /** Full rows; fps is measured against the previous sample or collect(). */
  collect(): Collected {
    const problems = this.discover();
    const pending: Array<{ row: CameraRow; keys: (FileKey | null)[]; excluded: number[] }> = [];
    for (const [cameraId, reader] of this.readers) {
      let info: ExportInfo | null;
      try {
        info = reader.info();
      } catch (error) {
        problems.push({ cameraId, cause: oneLine(error), exitCode: ExitCode.ERROR });
        continue;
      }
      const now = monotonicNs();
      if (info === null) {
        if (reader.status() === 'invalid') problems.push({ cameraId, ...readerProblem(reader) });
        this.previous.delete(cameraId);
        continue;
      }
      const before = this.previous.get(cameraId);
      let fps: number | null = null;
      if (before !== undefined && before.generation === info.header.generation && now > before.atNs) {
        fps = Math.round(((info.status.framesWritten - before.framesWritten) / (Number(now - before.atNs) / 1e9)) * 10) / 10;
      }
      this.remember(cameraId, info, now);
      const cameraDir = path.join(this.dir, cameraId);
      const age = this.lastFrameAgeMs(reader, cameraDir, info);
      const { header, status } = info;
      const excluded = [process.pid];
      if (header.writerPidns !== 0 && header.writerPidns === this.pidNamespace) excluded.push(header.writerPid);
      pending.push({
        row: {
          camera_id: cameraId,
          width: header.width,
          height: header.height,
          pixel_format: 'NV12',
          slots: header.slotCount,
          frames_written: status.framesWritten,
          last_frame_id: status.latestFrameId,
          fps,
          last_frame_age_ms: age,
          writer_pid: header.writerPid,
          writer_alive: info.writerAlive,
          readers: 0,
        },
        keys: [fileKey(path.join(cameraDir, META_FILE_NAME)), fileKey(path.join(cameraDir, DATA_FILE_NAME))],
        excluded,
      });
    }
    const scan = scanMappings(pending.flatMap((entry) => entry.keys.filter((key): key is FileKey => key !== null)));
    for (const entry of pending) entry.row.readers = countReaders(scan, entry.keys, entry.excluded);
    return { rows: pending.map((entry) => entry.row), problems };
  }

  close(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }

  private remember(cameraId: string, info: ExportInfo, atNs: bigint): void {
    this.previous.set(cameraId, { generation: info.header.generation, framesWritten: info.status.framesWritten, atNs });
  }

  /** Opens readers for new cameras, closes those of vanished ones. */
  private discover(): Problem[] {
    const problems: Problem[] = [];
    let ids = listCameraIds(this.dir);
    if (this.only !== null) ids = ids.filter((id) => id === this.only);
    const present = new Set(ids);
    for (const [cameraId, reader] of this.readers) {
      if (present.has(cameraId)) continue;
      reader.close();
      this.readers.delete(cameraId);
      this.previous.delete(cameraId);
    }
    for (const cameraId of ids) {
      if (this.readers.has(cameraId)) continue;
      try {
        this.readers.set(cameraId, FrameReader.open(cameraId, { dir: this.dir }));
      } catch (error) {
        problems.push({ cameraId, cause: oneLine(error), exitCode: ExitCode.ERROR });
      }
    }
    return problems;
  }

  /** Now minus the last frame's timestamp_ns, in ms; null when there is no frame. */
  private lastFrameAgeMs(reader: FrameReader, cameraDir: string, info: ExportInfo): number | null {
    let frameId = info.status.latestFrameId;
    for (let attempt = 0; attempt < 5 && frameId > 0; attempt++) {
      const timestamp = slotTimestampNs(cameraDir, info.header, frameId);
      if (timestamp !== null) return Math.max(0, Math.round(Number(monotonicNs() - timestamp) / 1e6));
      // Lapped by newer frames meanwhile: take the newest id again.
      const newer = reader.latestFrameId();
      if (newer === frameId) break;
      frameId = newer;
    }
    return null;
  }
}

/** Plain table rows for ls and watch. */
export function tableCells(row: CameraRow): string[] {
  const orDash = (value: number | null): string => (value === null ? '-' : String(value));
  return [
    row.camera_id, String(row.width), String(row.height), row.pixel_format, String(row.slots),
    String(row.frames_written), String(row.last_frame_id), row.fps === null ? '-' : row.fps.toFixed(1),
    orDash(row.last_frame_age_ms), String(row.writer_pid), row.writer_alive ? 'yes' : 'NO', String(row.readers),
  ];
}

export const TABLE_HEADINGS = ['CAMERA', 'WIDTH', 'HEIGHT', 'FORMAT', 'SLOTS', 'FRAMES', 'LAST_ID', 'FPS', 'AGE_MS', 'PID', 'ALIVE', 'READERS'];
/** Columns aligned left (text); the others are numbers, aligned right. */
export const LEFT_ALIGNED = new Set([0, 3, 10]);

export function formatTable(headings: readonly string[], rows: readonly (readonly string[])[], left: ReadonlySet<number>): string[] {
  const widths = headings.map((heading, column) => Math.max(heading.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells
    .map((cell, column) => (left.has(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
    .join('  ')
    .trimEnd();
  return [line(headings), ...rows.map(line)];
}

export function cameraTable(rows: readonly CameraRow[]): string[] {
  return formatTable(TABLE_HEADINGS, rows.map(tableCells), LEFT_ALIGNED);
}
