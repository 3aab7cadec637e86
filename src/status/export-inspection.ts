/**
 * One-shot, read-only inspection of what sits at an export path, without mapping anything:
 * is it provably an export (format spec 1.1), and is its writer dead (spec 6.3)? The writer's
 * stale cleanup and `vas-frames clean` remove only what this module calls a dead export or an
 * abandoned temporary; everything else is foreign and never touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA_FILE_NAME, Header, META_FILE_NAME } from '../layout/frame-export-layout';
import { decodeHeader, readStatusBlock, type ExportHeader, type ExportStatusBlock } from '../meta/meta-decoder';
import { MetaView } from '../meta/meta-view';
import { monotonicNs, ownPidNamespace, processRuns, writerDeathReason } from './export-status';

export type Inspection =
  | { readonly kind: 'absent' }
  /** Not provably an export of this format: never modified or removed. */
  | { readonly kind: 'foreign'; readonly reason: string }
  | {
    readonly kind: 'export';
    readonly header: ExportHeader;
    readonly state: number;
    /** null: the status block was busy in every try (judged alive). */
    readonly status: ExportStatusBlock | null;
    /** Why its writer is dead (spec 6.3), or null if it is judged alive. */
    readonly deathReason: string | null;
  };

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
const EXPORT_ENTRIES = [DATA_FILE_NAME, META_FILE_NAME].join(',');
/** A frame.meta larger than this is not one (64 slots of a v2 header take 4256 bytes). */
const MAX_META_BYTES = 1 << 20;
/** `.tmp-<camera_id>-<pid>-<8 hex>`: a directory a writer was building (spec 1). */
export const TEMPORARY_NAME = /^\.tmp-([A-Za-z0-9][A-Za-z0-9_.-]{0,63})-([0-9]+)-[0-9a-f]{8}$/;

/**
 * What is at `cameraDir`. Throws only for errors reading it (EACCES, say), which the caller
 * reports; a missing path is 'absent'.
 */
export function inspectCameraDir(cameraDir: string): Inspection {
  const stat = lstatOrNull(cameraDir);
  if (stat === null) return { kind: 'absent' };
  if (!stat.isDirectory()) return { kind: 'foreign', reason: `${cameraDir} is not a directory (${kindOf(stat)})` };
  return withDirectory(cameraDir, (dirFd, entries) => {
    if (entries.join(',') !== EXPORT_ENTRIES) {
      return { kind: 'foreign', reason: `${cameraDir} holds ${describeEntries(entries)}, not exactly ${META_FILE_NAME} and ${DATA_FILE_NAME}` };
    }
    for (const name of entries) {
      const entry = fs.lstatSync(`/proc/self/fd/${dirFd}/${name}`);
      if (!entry.isFile()) return { kind: 'foreign', reason: `${path.join(cameraDir, name)} is not a regular file (${kindOf(entry)})` };
    }
    return inspectFiles(cameraDir, dirFd);
  });
}

/**
 * Whether a `.tmp-...` directory is an abandoned temporary of a writer in this pid namespace
 * (spec 1.1): the reason to remove it, or null to keep it.
 */
export function abandonedTemporaryReason(temporaryDir: string): string | null {
  const match = TEMPORARY_NAME.exec(path.basename(temporaryDir));
  const stat = lstatOrNull(temporaryDir);
  if (match === null || stat === null || !stat.isDirectory()) return null;
  const creator = Number(match[2]);
  if (processRuns(creator)) return null;
  return withDirectory(temporaryDir, (dirFd, entries) => {
    if (entries.some((name) => name !== META_FILE_NAME && name !== DATA_FILE_NAME)) return null;
    for (const name of entries) {
      if (!fs.lstatSync(`/proc/self/fd/${dirFd}/${name}`).isFile()) return null;
    }
    if (entries.join(',') === EXPORT_ENTRIES) {
      const inspection = inspectFiles(temporaryDir, dirFd);
      // A complete header from another pid namespace: its creator pid means nothing here.
      if (inspection.kind === 'export' && inspection.header.writerPidns !== ownPidNamespace()) return null;
    }
    return `abandoned temporary: its creator pid ${creator} is not running`;
  });
}

/** Removes a dead export or an abandoned temporary: its (at most two) files, then the directory. */
export function removeExportDir(dir: string): void {
  for (const name of [META_FILE_NAME, DATA_FILE_NAME]) {
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  fs.rmdirSync(dir); // fails, leaving it, if anything else appeared meanwhile
}

function inspectFiles(dir: string, dirFd: number): Inspection {
  const fds: number[] = [];
  try {
    const open = (name: string) => {
      const fd = fs.openSync(`/proc/self/fd/${dirFd}/${name}`, O_RDONLY | O_NOFOLLOW);
      fds.push(fd);
      return { fd, stat: fs.fstatSync(fd) };
    };
    const meta = open(META_FILE_NAME);
    const data = open(DATA_FILE_NAME);
    if (!meta.stat.isFile() || !data.stat.isFile()) return { kind: 'foreign', reason: `${dir}: ${META_FILE_NAME} or ${DATA_FILE_NAME} is not a regular file` };
    if (meta.stat.size > MAX_META_BYTES) return { kind: 'foreign', reason: `${dir}: ${META_FILE_NAME} is ${meta.stat.size} bytes, too large for an export header` };
    const snapshot = readConsistentMeta(meta.fd, meta.stat.size);
    const view = new MetaView(snapshot.bytes.buffer as ArrayBuffer, meta.stat.size - (meta.stat.size % 4));
    const header = decodeHeader(view, meta.stat.size, data.stat.size);
    if (typeof header === 'string') return { kind: 'foreign', reason: `${dir}: ${META_FILE_NAME} is not a valid export header: ${header}` };
    const status = snapshot.stable ? readStatusBlock(view) : null;
    return { kind: 'export', header, state: view.u32(Header.STATE), status, deathReason: writerDeathReason(header, status, monotonicNs(), 0) };
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** The whole of frame.meta, copied while status_seq was even and unchanged (or the last try). */
function readConsistentMeta(fd: number, size: number): { bytes: Uint8Array; stable: boolean } {
  const bytes = new Uint8Array(new ArrayBuffer(size + ((4 - (size % 4)) % 4)));
  const seq = new Uint8Array(4);
  const seqOf = (buffer: Uint8Array, at: number) => new DataView(buffer.buffer, buffer.byteOffset).getUint32(at, true);
  for (let attempt = 0; attempt < 50; attempt++) {
    const read = fs.readSync(fd, bytes, 0, size, 0);
    if (read < Header.STATUS_SEQ + 4) return { bytes, stable: false };
    const before = seqOf(bytes, Header.STATUS_SEQ);
    if ((before & 1) !== 0) continue;
    if (fs.readSync(fd, seq, 0, 4, Header.STATUS_SEQ) === 4 && seqOf(seq, 0) === before) return { bytes, stable: true };
  }
  return { bytes, stable: false };
}

function withDirectory<T>(dir: string, body: (dirFd: number, entries: string[]) => T): T {
  const dirFd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    return body(dirFd, fs.readdirSync(`/proc/self/fd/${dirFd}`).sort());
  } finally {
    fs.closeSync(dirFd);
  }
}

function lstatOrNull(target: string): fs.Stats | null {
  try {
    return fs.lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw error;
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFile()) return 'a regular file';
  if (stat.isDirectory()) return 'a directory';
  return 'a special file';
}

function describeEntries(entries: string[]): string {
  if (entries.length === 0) return 'nothing';
  const shown = entries.slice(0, 4).map((name) => JSON.stringify(name)).join(', ');
  return entries.length > 4 ? `${shown} and ${entries.length - 4} more` : shown;
}
