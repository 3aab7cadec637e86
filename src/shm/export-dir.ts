import * as fs from 'node:fs';
import { ExportError } from './export-memory';

/**
 * The export directory must be VAS's own (format spec section 1): a real directory (not a
 * symbolic link) owned by this process's user, not world-writable and without the sticky bit.
 * A shared directory (/dev/shm itself, /tmp, a dir other programs use) is refused, never
 * adapted: the plugin changes the mode, owner or group only of a directory it creates (0750,
 * and the export group). Throws ExportError with one line naming the path, what it found and
 * what is required.
 */
export function ensureExportDir(dir: string, gid: number | null): void {
  let stat: fs.Stats | null;
  try {
    stat = lstatOrNull(dir);
  } catch (error) {
    throw new ExportError(`cannot look at export dir ${dir}: ${describe(error)}`);
  }
  if (stat === null) {
    createExportDir(dir, gid);
    return;
  }
  if (stat.isSymbolicLink()) throw new ExportError(`export dir ${dir} is a symbolic link: refusing it (point AI_FRAME_EXPORT_DIR at a real directory)`);
  if (!stat.isDirectory()) throw new ExportError(`export dir ${dir} is not a directory: refusing it (point AI_FRAME_EXPORT_DIR at a dedicated directory)`);
  const uid = process.getuid!();
  const mode = stat.mode & 0o7777;
  const found = `owner uid ${stat.uid}, mode ${mode.toString(8).padStart(4, '0')}`;
  const required = `it must be a directory owned by uid ${uid}, not world-writable and without the sticky bit; ` +
    'point AI_FRAME_EXPORT_DIR at a dedicated directory such as /dev/shm/vas (created if missing)';
  if (stat.uid !== uid || (mode & 0o002) !== 0 || (mode & 0o1000) !== 0) {
    throw new ExportError(`export dir ${dir} (${found}) is not VAS's own: ${required}; it is left untouched and frame export is off`);
  }
  if (gid !== null && stat.gid !== gid) {
    throw new ExportError(`export dir ${dir} has group ${stat.gid} but AI_FRAME_EXPORT_GROUP is gid ${gid}: ` +
      `the plugin changes only directories it creates; chgrp ${gid} it (with mode 0750) or remove it`);
  }
}

function createExportDir(dir: string, gid: number | null): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
    // Ours from here on: the documented mode whatever the umask, and the export group.
    fs.chmodSync(dir, 0o750);
    if (gid !== null) fs.chownSync(dir, process.getuid!(), gid);
  } catch (error) {
    throw new ExportError(`cannot create export dir ${dir}: ${describe(error)}`);
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
