/**
 * Who maps an export's files: one pass over /proc/<pid>/maps for every process we may read.
 *
 * Files are matched by identity (device and inode, both shown in every maps line), not by path:
 * that works whatever path the other process used (a bind mount in a container, a symlinked
 * /dev/shm) and is not fooled by a " (deleted)" suffix. A process still mapping a replaced
 * generation maps another inode and is therefore not counted as a reader of the current one.
 */
import * as fs from 'node:fs';

/** Identity of one file: "major:minor:inode", majors and minors in hex as in /proc/<pid>/maps. */
export type FileKey = string;

export interface MappingOwners {
  /** pids mapping the file. */
  readonly pids: Set<number>;
  /** pids mapping it writable (the writer, whatever its pid namespace). */
  readonly writers: Set<number>;
}

/** The key of a file as its maps lines will show it; null if it cannot be stat'ed. */
export function fileKey(file: string): FileKey | null {
  let stat: fs.BigIntStats;
  try {
    stat = fs.lstatSync(file, { bigint: true });
  } catch {
    return null;
  }
  // glibc's gnu_dev_major / gnu_dev_minor, which is how st_dev is encoded on Linux.
  const dev = stat.dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16)}:${minor.toString(16)}:${stat.ino}`;
}

/** maps line: address perms offset dev inode [path]. */
const MAPS_LINE = /^\S+\s+(\S{4})\s+\S+\s+([0-9a-fA-F]+):([0-9a-fA-F]+)\s+([0-9]+)/;

/**
 * For each key, the processes mapping that file. Processes whose maps we cannot read (another
 * user's, without privileges) or that exit meanwhile are silently left out.
 */
export function scanMappings(keys: Iterable<FileKey>): Map<FileKey, MappingOwners> {
  const result = new Map<FileKey, MappingOwners>();
  for (const key of keys) result.set(key, { pids: new Set(), writers: new Set() });
  if (result.size === 0) return result;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return result;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let maps: string;
    try {
      maps = fs.readFileSync(`/proc/${entry}/maps`, 'latin1');
    } catch {
      continue;
    }
    if (!maps.includes('frame.')) continue;
    const pid = Number(entry);
    for (const line of maps.split('\n')) {
      if (!line.includes('frame.')) continue;
      const match = MAPS_LINE.exec(line);
      if (match === null) continue;
      const key = `${parseInt(match[2]!, 16).toString(16)}:${parseInt(match[3]!, 16).toString(16)}:${match[4]}`;
      const owners = result.get(key);
      if (owners === undefined) continue;
      owners.pids.add(pid);
      if (match[1]![1] === 'w') owners.writers.add(pid);
    }
  }
  return result;
}

/**
 * Number of distinct processes mapping any of `keys`, excluding `excluded` pids and every
 * process that maps one of them writable (the writer).
 */
export function countReaders(scan: Map<FileKey, MappingOwners>, keys: readonly (FileKey | null)[], excluded: readonly number[]): number {
  const pids = new Set<number>();
  const writers = new Set<number>(excluded);
  for (const key of keys) {
    if (key === null) continue;
    const owners = scan.get(key);
    if (owners === undefined) continue;
    for (const pid of owners.pids) pids.add(pid);
    for (const pid of owners.writers) writers.add(pid);
  }
  let count = 0;
  for (const pid of pids) if (!writers.has(pid)) count++;
  return count;
}
