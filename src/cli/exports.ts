/**
 * How the CLI finds exports: the export dir, the camera directories in it, and a read-only
 * look at one slot record. Everything here is read-only and never follows a symbolic link
 * for a camera directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cameraIdProblem } from '../config/camera-id';
import { CONFIG_DEFAULTS } from '../config/frame-export-config';
import type { LibC } from '../ffi/libc';
import { loadLibC } from '../ffi/load-libc';
import { DATA_FILE_NAME, Header, META_FILE_NAME, Slot, slotRecordOffset } from '../layout/frame-export-layout';
import type { ExportHeader } from '../meta/meta-decoder';
import { MetaView } from '../meta/meta-view';
import { FrameReader } from '../reader/frame-reader';
import { CliError, ExitCode, fromErrno, usageError, type ExitCodeValue } from './errors';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** --dir, else AI_FRAME_EXPORT_DIR, else /dev/shm/vas. */
export function resolveExportDir(option: unknown): string {
  if (typeof option === 'string') return option;
  const env = process.env.AI_FRAME_EXPORT_DIR;
  return env !== undefined && env !== '' ? env : CONFIG_DEFAULTS.exportDir;
}

/** Throws CliError (3 not found, 4 permission, 5 other) unless `dir` is a readable directory. */
export function checkExportDir(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(ExitCode.NOT_FOUND, dir, 'no export dir (is VAS running with AI_FRAME_EXPORT_ENABLED=true? set --dir or AI_FRAME_EXPORT_DIR)');
    }
    throw fromErrno(error, dir);
  }
  if (!stat.isDirectory()) throw new CliError(ExitCode.ERROR, dir, 'export dir is not a directory');
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (error) {
    throw fromErrno(error, dir);
  }
}

export function checkCameraId(cameraId: string | undefined, command: string): string {
  if (cameraId === undefined) throw usageError(command, 'a camera id is required');
  const problem = cameraIdProblem(cameraId);
  if (problem !== null) throw usageError(command, problem);
  return cameraId;
}

/** Names of the camera directories in the export dir, sorted; hidden temporaries are skipped. */
export function listCameraIds(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    throw fromErrno(error, dir);
  }
  return names
    .filter((name) => cameraIdProblem(name) === null && isRealDirectory(path.join(dir, name)))
    .sort();
}

export function isRealDirectory(target: string): boolean {
  try {
    return fs.lstatSync(target).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Before opening a camera with FrameReader: the camera must exist (3) and both files must be
 * readable by us (4), so the user gets a precise one-line reason instead of 'invalid'.
 */
export function checkCamera(dir: string, cameraId: string): void {
  checkExportDir(dir);
  const cameraDir = path.join(dir, cameraId);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(cameraDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(ExitCode.NOT_FOUND, cameraId, `no such camera in ${dir}`);
    }
    throw fromErrno(error, cameraId);
  }
  if (stat.isSymbolicLink()) throw new CliError(ExitCode.ERROR, cameraId, `${cameraDir} is a symbolic link: refused`);
  if (!stat.isDirectory()) throw new CliError(ExitCode.ERROR, cameraId, `${cameraDir} is not a directory`);
  for (const name of [META_FILE_NAME, DATA_FILE_NAME]) {
    const file = path.join(cameraDir, name);
    try {
      fs.closeSync(fs.openSync(file, O_RDONLY | O_NOFOLLOW));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CliError(ExitCode.NOT_FOUND, cameraId, `no export: ${file} is missing (stopping or never finished)`);
      }
      throw fromErrno(error, file);
    }
  }
}

/** Why a reader refused an export, as a short cause and an exit code (4 permission, else 5). */
export function readerProblem(reader: FrameReader): { cause: string; exitCode: ExitCodeValue } {
  const problem = (reader.problem ?? 'invalid export').replace(/^camera [^:]+: /, '');
  if (/permission denied/.test(problem)) return { cause: `${path.join(reader.dir, reader.cameraId)}: permission denied`, exitCode: ExitCode.PERMISSION };
  return { cause: problem, exitCode: ExitCode.ERROR };
}

/** Opens a reader; throws CliError when the export is refused as invalid. */
export function openReader(dir: string, cameraId: string): FrameReader {
  const reader = FrameReader.open(cameraId, { dir });
  if (reader.status() === 'invalid') {
    const { cause, exitCode } = readerProblem(reader);
    reader.close();
    throw new CliError(exitCode, cameraId, cause);
  }
  return reader;
}

let libc: LibC | null = null;

function cliLibC(): LibC {
  libc ??= loadLibC(process.env.AI_FRAME_EXPORT_FFI === 'ffi-rs' ? 'ffi-rs' : 'koffi');
  return libc;
}

/**
 * CLOCK_MONOTONIC timestamp of frame `frameId` from its slot record, read under the slot's
 * seqlock (spec 5.2) from a read-only mapping of frame.meta. Null if the slot no longer holds
 * that frame (lapped), stays busy, or the directory holds another generation by now.
 */
export function slotTimestampNs(cameraDir: string, header: ExportHeader, frameId: number): bigint | null {
  if (frameId <= 0) return null;
  let dirFd = -1;
  let metaFd = -1;
  let address = 0;
  let size = 0;
  const lib = cliLibC();
  try {
    dirFd = fs.openSync(cameraDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    metaFd = fs.openSync(`/proc/self/fd/${dirFd}/${META_FILE_NAME}`, O_RDONLY | O_NOFOLLOW);
    size = fs.fstatSync(metaFd).size;
    const record = slotRecordOffset(header.headerSize, header.slotMetaSize, (frameId - 1) % header.slotCount);
    if (size < record + header.slotMetaSize) return null;
    address = lib.mmapShared(metaFd, size, false);
    const meta = new MetaView(lib.view(address, size), size - (size % 4));
    if (meta.u64BigInt(Header.GENERATION) !== header.generation) return null;
    for (let attempt = 0; attempt < 100; attempt++) {
      const before = meta.loadU32(record + Slot.SEQ);
      if ((before & 1) !== 0) continue;
      const id = meta.u64Number(record + Slot.FRAME_ID);
      const timestamp = meta.u64BigInt(record + Slot.TIMESTAMP_NS);
      if (meta.loadU32(record + Slot.SEQ) !== before) continue;
      return id === frameId ? timestamp : null;
    }
    return null;
  } catch {
    return null;
  } finally {
    if (address !== 0) lib.munmap(address, size);
    if (metaFd >= 0) fs.closeSync(metaFd);
    if (dirFd >= 0) fs.closeSync(dirFd);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
