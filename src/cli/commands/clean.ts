import * as fs from 'node:fs';
import * as path from 'node:path';
import { cameraIdProblem } from '../../config/camera-id';
import { HEADER_SIZE_V1, HEARTBEAT_STALE_MS, Header, META_FILE_NAME, WriterState } from '../../layout/frame-export-layout';
import { pidAlive } from '../../shm/export-dir';
import type { Command } from '../command';
import { CliError, ExitCode, errnoText, exitCodeForErrno, isErrno, type ExitCodeValue } from '../errors';
import { checkExportDir, monotonicNs, ownPidNamespace } from '../exports';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** `.tmp-<camera_id>-<pid>-<hex>`: a directory a writer was building. */
const TEMPORARY_NAME = /^\.tmp-(.+)-([0-9]+)-[0-9a-f]+$/;
/** A temporary of a writer in another pid namespace is stale only after this long. */
export const FOREIGN_TEMPORARY_STALE_MS = 60_000;

interface HeaderFields {
  readonly state: number;
  readonly writerPid: number;
  readonly writerPidns: number;
  readonly heartbeatNs: bigint;
}

/**
 * The header fields clean needs, from frame.meta inside `dir` (opened without following any
 * symbolic link), read until status_seq is even and unchanged. Null if absent or not a v1+
 * header; throws the system error when permission is denied (the caller reports it).
 */
function readHeader(dir: string): HeaderFields | null {
  let dirFd = -1;
  let fd = -1;
  try {
    dirFd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    fd = fs.openSync(`/proc/self/fd/${dirFd}/${META_FILE_NAME}`, O_RDONLY | O_NOFOLLOW);
    const bytes = Buffer.alloc(HEADER_SIZE_V1);
    const seq = Buffer.alloc(4);
    for (let attempt = 0; attempt < 50; attempt++) {
      if (fs.readSync(fd, bytes, 0, bytes.length, 0) < bytes.length) return null;
      const before = bytes.readUInt32LE(Header.STATUS_SEQ);
      if ((before & 1) !== 0) continue;
      if (fs.readSync(fd, seq, 0, 4, Header.STATUS_SEQ) < 4 || seq.readUInt32LE(0) !== before) continue;
      if (bytes.readUInt32LE(Header.VERSION) < 1 || bytes.readUInt32LE(Header.HEADER_SIZE) < HEADER_SIZE_V1) return null;
      return {
        state: bytes.readUInt32LE(Header.STATE),
        writerPid: bytes.readUInt32LE(Header.WRITER_PID),
        writerPidns: Number(bytes.readBigUInt64LE(Header.WRITER_PIDNS)),
        heartbeatNs: bytes.readBigUInt64LE(Header.HEARTBEAT_NS),
      };
    }
    return null;
  } catch (error) {
    if (isErrno(error) && (error.code === 'EACCES' || error.code === 'EPERM')) throw error;
    return null;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    if (dirFd >= 0) fs.closeSync(dirFd);
  }
}

/** Why this camera's export is dead, or null to keep it. */
export function deadExportReason(cameraDir: string, ownNamespace: number): string | null {
  const header = readHeader(cameraDir);
  if (header === null) return null;
  if (header.state !== WriterState.LIVE && header.state !== WriterState.STOPPED) return null;
  const state = header.state === WriterState.LIVE ? 'LIVE' : 'STOPPED';
  if (header.writerPidns !== 0 && header.writerPidns === ownNamespace) {
    return pidAlive(header.writerPid) ? null : `writer pid ${header.writerPid} is not running (state ${state})`;
  }
  const ageMs = Number(monotonicNs() - header.heartbeatNs) / 1e6;
  if (ageMs <= HEARTBEAT_STALE_MS) return null;
  return `writer pid ${header.writerPid} is in another pid namespace and its heartbeat is ${(ageMs / 1000).toFixed(1)} s old (state ${state})`;
}

/** Why this temporary directory is abandoned, or null to keep it. */
export function staleTemporaryReason(dir: string, creatorPid: number, stat: fs.Stats, ownNamespace: number): string | null {
  const header = readHeader(dir);
  const namespace = header?.writerPidns ?? 0;
  if (namespace !== 0 && namespace !== ownNamespace) {
    const ageMs = Date.now() - stat.mtimeMs;
    if (ageMs <= FOREIGN_TEMPORARY_STALE_MS) return null;
    return `temporary of a writer in another pid namespace, ${Math.round(ageMs / 1000)} s old`;
  }
  return pidAlive(creatorPid) ? null : `abandoned temporary: creator pid ${creatorPid} is not running`;
}

export const cleanCommand: Command = {
  name: 'clean',
  usage: 'clean [--dry-run]',
  summary: 'remove exports whose writer is dead, and abandoned temporary directories',
  details: [
    'An export is dead when its state is LIVE or STOPPED and its writer pid is not running (writer',
    'in our pid namespace), or its heartbeat is older than 2 s (writer in another pid namespace).',
    'Live exports, invalid or unreadable ones, and anything that is not a real directory are kept.',
    'Symbolic links are never followed. Prints one line per removal, or "nothing to clean".',
    'An export it may not read or remove is reported on stderr and kept; the exit code is then 4.',
  ],
  options: {
    'dry-run': { kind: 'boolean', description: 'print what would be removed, remove nothing' },
  },
  positionals: [],
  async run(context) {
    const { dir } = context;
    checkExportDir(dir);
    if (fs.lstatSync(dir).isSymbolicLink()) {
      throw new CliError(ExitCode.ERROR, dir, 'export dir is a symbolic link: refusing to clean through it');
    }
    const dryRun = context.options['dry-run'] === true;
    const ownNamespace = ownPidNamespace();
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (error) {
      throw new CliError(isErrno(error) ? exitCodeForErrno(error.code) : ExitCode.ERROR, dir, isErrno(error) ? errnoText(error) : String(error));
    }
    let acted = 0;
    let exitCode: ExitCodeValue = ExitCode.OK;
    for (const name of names) {
      const target = path.join(dir, name);
      let stat: fs.Stats;
      try {
        stat = fs.lstatSync(target);
      } catch {
        continue; // gone meanwhile
      }
      if (!stat.isDirectory()) continue; // symbolic links and files are never touched
      let reason: string | null = null;
      try {
        const temporary = TEMPORARY_NAME.exec(name);
        if (temporary !== null) reason = staleTemporaryReason(target, Number(temporary[2]), stat, ownNamespace);
        else if (cameraIdProblem(name) === null) reason = deadExportReason(target, ownNamespace);
      } catch (error) {
        if (exitCode === ExitCode.OK) exitCode = isErrno(error) ? exitCodeForErrno(error.code) : ExitCode.ERROR;
        context.err(`vas-frames: ${target}: cannot read its header, kept: ${isErrno(error) ? errnoText(error) : String(error)}`);
        continue;
      }
      if (reason === null) continue;
      acted++;
      if (dryRun) {
        context.out(`would remove ${target}: ${reason}`);
        continue;
      }
      try {
        const again = fs.lstatSync(target);
        if (!again.isDirectory() || again.ino !== stat.ino) {
          context.err(`vas-frames: ${target}: replaced while cleaning; kept`);
          continue;
        }
        fs.rmSync(target, { recursive: true });
        context.out(`removed ${target}: ${reason}`);
      } catch (error) {
        const code = isErrno(error) ? exitCodeForErrno(error.code) : ExitCode.ERROR;
        if (exitCode === ExitCode.OK) exitCode = code;
        context.err(`vas-frames: ${target}: cannot remove: ${isErrno(error) ? errnoText(error) : String(error)}`);
      }
    }
    if (acted === 0 && exitCode === ExitCode.OK) context.out(`nothing to clean in ${dir}`);
    return exitCode;
  },
};
