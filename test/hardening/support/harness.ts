/** Shared helpers of the hardening tests: temp dirs, tmpfs mounts, tree snapshots, polling. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Header } from '../../../src/layout/frame-export-layout';

/** dist/test/hardening/fixtures/<name>.js */
export function fixture(name: string): string {
  return path.join(__dirname, '..', 'fixtures', `${name}.js`);
}

/** The package root (the directory holding package.json). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** Skips the running test, saying why, unless this process is root (chown, other uids, mounts). */
export function skipUnlessRoot(context: Mocha.Context, what: string): void {
  if (process.getuid?.() === 0) return;
  console.log(`      skipped: ${what} needs root (uid is ${process.getuid?.()})`);
  context.skip();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every `intervalMs` until it returns something other than undefined. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Like waitFor, with an asynchronous probe (for example an IPC call to a child). */
export async function waitForAsync<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * A fresh directory under the system temp dir, mode 0755 so that uid-switched children can
 * traverse it (mkdtemp makes 0700).
 */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vas-hardening-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function removeTree(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Environment enabling the export with the given overrides. */
export function exportEnv(dir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AI_FRAME_EXPORT_ENABLED: 'true',
    AI_FRAME_EXPORT_DIR: dir,
    AI_FRAME_WIDTH: '64',
    AI_FRAME_HEIGHT: '32',
    ...overrides,
  };
}

export interface TreeEntry {
  readonly path: string;
  readonly type: 'dir' | 'file' | 'symlink' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
}

/** Every entry under `root` (not following symbolic links), sorted; [] if root is missing. */
export function listTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const visit = (relative: string): void => {
    const full = path.join(root, relative);
    let names: string[];
    try {
      names = fs.readdirSync(full);
    } catch {
      return;
    }
    for (const name of names) {
      const rel = relative === '' ? name : path.join(relative, name);
      const stat = fs.lstatSync(path.join(root, rel));
      const type = stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : stat.isSymbolicLink() ? 'symlink' : 'other';
      out.push({ path: rel, type, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, size: stat.size });
      if (type === 'dir') visit(rel);
    }
  };
  visit('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Names (not entries) under root, sorted. */
export function treeNames(root: string): string[] {
  return listTree(root).map((entry) => `${entry.type}:${entry.path}`);
}

export interface TmpfsMount {
  readonly dir: string;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `size` (e.g. '16m') on a fresh temp dir. Returns the reason instead when
 * this process may not mount (not root, no CAP_SYS_ADMIN, no mount binary).
 */
export function mountTmpfs(size: string): TmpfsMount | string {
  if (process.getuid?.() !== 0) return `mounting a tmpfs needs root (uid is ${process.getuid?.()})`;
  const dir = makeTempDir('tmpfs');
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    fs.rmdirSync(dir);
    return `mount -t tmpfs is not permitted here: ${result.error?.message ?? result.stderr.trim()}`;
  }
  let mounted = true;
  return {
    dir,
    unmount(): void {
      if (!mounted) return;
      const first = spawnSync('umount', [dir], { encoding: 'utf8' });
      if (first.status !== 0) spawnSync('umount', ['-l', dir], { encoding: 'utf8' });
      mounted = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Free bytes for an unprivileged writer on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const stats = fs.statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Writes zeros to `file` until the filesystem has at most `leaveBytes` free (or is full).
 * Returns the bytes written.
 */
export function fillFilesystem(file: string, leaveBytes = 0): number {
  const chunk = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'a');
  let written = 0;
  try {
    for (;;) {
      const free = freeBytes(path.dirname(file));
      const want = free - leaveBytes;
      if (want <= 0) break;
      try {
        written += fs.writeSync(fd, chunk, 0, Math.min(chunk.length, want));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

/** Reads the generation (u64) and writer pid out of a frame.meta file. */
export function readMetaIdentity(metaFile: string): { generation: bigint; writerPid: number; state: number } {
  const bytes = fs.readFileSync(metaFile);
  return {
    generation: bytes.readBigUInt64LE(Header.GENERATION),
    writerPid: bytes.readUInt32LE(Header.WRITER_PID),
    state: bytes.readUInt32LE(Header.STATE),
  };
}

/** Lines of a MemoryLogger-like list at a level ('error', 'warning', 'info'). */
export function linesAt(lines: readonly string[], level: 'error' | 'warning' | 'info'): string[] {
  return lines.filter((line) => line.startsWith(`${level}: `));
}
