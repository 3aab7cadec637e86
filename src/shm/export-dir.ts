import * as fs from 'node:fs';
import { ExportError } from './export-memory';

/**
 * The export directory must be ours: a real directory (not a symbolic link) owned by this
 * process's user. /dev/shm is world-writable; anyone could plant /dev/shm/vas first.
 * Created 0750 when missing; an existing one is set to 0750 (and the export group).
 * Returns nothing; throws ExportError with the reason.
 */
export function ensureExportDir(dir: string, gid: number | null): void {
  let stat = lstatOrNull(dir);
  if (stat === null) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
      fs.chmodSync(dir, 0o750);
      if (gid !== null) fs.chownSync(dir, process.getuid!(), gid);
    } catch (error) {
      throw new ExportError(`cannot create export dir ${dir}: ${describe(error)}`);
    }
    stat = lstatOrNull(dir);
  }
  if (stat === null) throw new ExportError(`export dir ${dir} vanished while it was being created`);
  if (stat.isSymbolicLink()) {
    throw new ExportError(`export dir ${dir} is a symbolic link: refusing it (point AI_FRAME_EXPORT_DIR at a real directory)`);
  }
  if (!stat.isDirectory()) throw new ExportError(`export dir ${dir} is not a directory`);
  const uid = process.getuid!();
  if (stat.uid !== uid) {
    throw new ExportError(`export dir ${dir} is owned by uid ${stat.uid}, not by this process (uid ${uid}): refusing it`);
  }
  enforceModeAndGroup(dir, uid, gid);
}

/**
 * An export dir that already existed (an earlier run, a mount point) gets the documented mode
 * and group as well: group- or world-writable, anyone could plant a fake export for readers;
 * without the group, AI_FRAME_EXPORT_GROUP would silently not apply to it. Done through a
 * descriptor opened O_NOFOLLOW, so a swap after the checks above cannot redirect it.
 */
function enforceModeAndGroup(dir: string, uid: number, gid: number | null): void {
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
  let fd = -1;
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    const stat = fs.fstatSync(fd);
    if (stat.uid !== uid) throw new ExportError(`export dir ${dir} changed owner while it was being checked: refusing it`);
    if ((stat.mode & 0o7777) !== 0o750) fs.fchmodSync(fd, 0o750);
    if (gid !== null && stat.gid !== gid) fs.fchownSync(fd, uid, gid);
  } catch (error) {
    if (error instanceof ExportError) throw error;
    throw new ExportError(`cannot give export dir ${dir} mode 0750${gid === null ? '' : ` and group ${gid}`}: ${describe(error)}`);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

export function lstatOrNull(path: string): fs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export function describe(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  return err.code !== undefined ? `${err.code} (${err.syscall ?? 'syscall'})` : String(err?.message ?? error);
}

/** True if a process with this pid exists (EPERM: exists, not ours). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Numeric gid of a group given by name or number; null if the name is unknown. */
export function resolveGroup(group: string): number | null {
  if (/^[0-9]+$/.test(group)) return Number(group);
  try {
    for (const line of fs.readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , gid] = line.split(':');
      if (name === group && gid !== undefined && /^[0-9]+$/.test(gid)) return Number(gid);
    }
  } catch {
    return null;
  }
  return null;
}
