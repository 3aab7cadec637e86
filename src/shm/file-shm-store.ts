import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'tsyringe';
import { DATA_FILE_NAME, META_FILE_NAME, SLOT_ALIGNMENT, roundUp, type ExportLayout } from '../layout/frame-export-layout';
import type { FrameExportConfig } from '../config/frame-export-config';
import type { LibC } from '../ffi/libc';
import { TOKENS } from '../tokens';
import { ExportError, type ExportMemory, type SharedMemoryStore } from './export-memory';
import { abandonedTemporaryReason, inspectCameraDir, removeExportDir, TEMPORARY_NAME } from '../status/export-inspection';
import { describe, ensureExportDir, resolveGroup } from './export-dir';

const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
const FILE_MODE = 0o640;
const DIR_MODE = 0o750;

interface MappedFile {
  readonly fd: number;
  readonly address: number;
  readonly size: number;
}

interface Handles {
  readonly dir: string;
  readonly meta: MappedFile;
  readonly data: MappedFile;
}

/**
 * Exports as files in the export dir (tmpfs), mapped once at creation. Per camera:
 *   1. remove a stale export of the camera and its abandoned temporaries, only when they are
 *   provably this plugin's and their writer is dead (spec 1.1; anything else there refuses the
 *   camera and stays untouched), 2. check free space, 3. build both files in a private temporary directory
 *   (O_CREAT|O_EXCL|O_NOFOLLOW, 0640, space reserved with posix_fallocate so a later write
 *   can never SIGBUS), 4. map them and let the caller write the header, 5. remove anything
 *   that appeared at the final name meanwhile, 6. rename the directory into place: the pair
 *   appears atomically.
 */
@injectable()
export class FileShmStore implements SharedMemoryStore {
  private readonly handles = new WeakMap<ExportMemory, Handles>();
  private readonly gid: number | null;

  constructor(
    @inject(TOKENS.Config) private readonly config: FrameExportConfig,
    @inject(TOKENS.LibC) private readonly libc: LibC,
  ) {
    this.gid = config.group === null ? null : resolveGroup(config.group);
    if (config.group !== null && this.gid === null) {
      throw new ExportError(`AI_FRAME_EXPORT_GROUP=${config.group} is not a known group on this host`);
    }
    // A directory that is not VAS's own turns export off as a whole, with one line, before any
    // camera starts (each export checks again: the dir may be removed while VAS runs).
    ensureExportDir(config.exportDir, this.gid);
  }

  create(cameraId: string, layout: ExportLayout, initialize: (memory: ExportMemory) => void): ExportMemory {
    const root = this.config.exportDir;
    ensureExportDir(root, this.gid);
    const final = path.join(root, cameraId);
    // Leftovers of a dead writer hold tmpfs pages: free them before the space check, or a
    // camera could never be exported again after a crash on a tmpfs sized for its cameras.
    // (A live writer's export is refused here, before anything is built.)
    try {
      this.removeStale(cameraId, final);
      this.removeAbandonedTemporaries(cameraId);
    } catch (error) {
      if (error instanceof ExportError) throw error;
      throw new ExportError(`camera ${cameraId}: cannot remove its stale export in ${root}: ${describe(error)}`);
    }
    this.checkFreeSpace(cameraId, layout);
    const temporary = path.join(root, `.tmp-${cameraId}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const opened: MappedFile[] = [];
    try {
      fs.mkdirSync(temporary, { mode: DIR_MODE });
      this.applyOwnership(temporary, DIR_MODE);
      const meta = this.createMapped(cameraId, path.join(temporary, META_FILE_NAME), layout.metaFileSize, opened);
      const data = this.createMapped(cameraId, path.join(temporary, DATA_FILE_NAME), layout.dataFileSize, opened);
      const memory: ExportMemory = {
        cameraId,
        layout,
        meta: this.libc.view(meta.address, meta.size),
        data: new Uint8Array(this.libc.view(data.address, data.size)),
        metaAddress: meta.address,
        dataAddress: data.address,
      };
      initialize(memory);
      this.removeStale(cameraId, final);
      fs.renameSync(temporary, final);
      this.handles.set(memory, { dir: final, meta, data });
      return memory;
    } catch (error) {
      for (const file of opened) this.unmapAndClose(file);
      fs.rmSync(temporary, { recursive: true, force: true });
      if (error instanceof ExportError) throw error;
      throw new ExportError(`camera ${cameraId}: cannot create its export in ${root}: ${describe(error)}`);
    }
  }

  unpublish(memory: ExportMemory): void {
    const handles = this.handles.get(memory);
    if (handles === undefined) return;
    for (const name of [META_FILE_NAME, DATA_FILE_NAME]) {
      try {
        fs.unlinkSync(path.join(handles.dir, name));
      } catch {
        // already gone: nothing to unpublish
      }
    }
    try {
      fs.rmdirSync(handles.dir);
    } catch {
      // not empty or gone: leave it, a later start replaces it
    }
  }

  release(memory: ExportMemory): void {
    const handles = this.handles.get(memory);
    if (handles === undefined) return;
    this.handles.delete(memory);
    this.unmapAndClose(handles.meta);
    this.unmapAndClose(handles.data);
  }

  private createMapped(cameraId: string, file: string, size: number, opened: MappedFile[]): MappedFile {
    const fd = fs.openSync(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE);
    let address = 0;
    try {
      fs.fchmodSync(fd, FILE_MODE);
      if (this.gid !== null) fs.fchownSync(fd, process.getuid!(), this.gid);
      const errno = this.libc.posixFallocate(fd, size);
      if (errno !== 0) {
        throw new ExportError(errno === 28 // ENOSPC
          ? this.noSpaceMessage(cameraId, size, this.freeBytes())
          : `camera ${cameraId}: cannot reserve ${size} bytes for ${file}: errno ${errno}`);
      }
      address = this.libc.mmapShared(fd, size, true);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    const mapped = { fd, address, size };
    opened.push(mapped);
    return mapped;
  }

  private unmapAndClose(file: MappedFile): void {
    try {
      this.libc.munmap(file.address, file.size);
    } finally {
      fs.closeSync(file.fd);
    }
  }

  private applyOwnership(target: string, mode: number): void {
    fs.chmodSync(target, mode);
    if (this.gid !== null) fs.chownSync(target, process.getuid!(), this.gid);
  }

  private freeBytes(): number {
    const stats = fs.statfsSync(this.config.exportDir);
    return stats.bavail * stats.bsize;
  }

  private checkFreeSpace(cameraId: string, layout: ExportLayout): void {
    const needed = roundUp(layout.metaFileSize, SLOT_ALIGNMENT) + roundUp(layout.dataFileSize, SLOT_ALIGNMENT);
    const available = this.freeBytes();
    if (available < needed) throw new ExportError(this.noSpaceMessage(cameraId, needed, available));
  }

  private noSpaceMessage(cameraId: string, needed: number, available: number): string {
    return `camera ${cameraId}: export needs ${needed} bytes but ${this.config.exportDir} has ${available} bytes free; ` +
      `enlarge it (Docker: shm_size) or lower AI_FRAME_BUFFER_CAPACITY or AI_FRAME_WIDTH x AI_FRAME_HEIGHT; export for this camera is off`;
  }

  /**
   * What is at the camera's path must be a dead export of this format, or nothing (spec 1.1).
   * A live writer's export, a file, a link or a directory with anything else in it is left
   * exactly as it is and this camera's export is refused.
   */
  private removeStale(cameraId: string, final: string): void {
    const found = inspectCameraDir(final);
    if (found.kind === 'absent') return;
    if (found.kind === 'foreign') {
      throw new ExportError(`camera ${cameraId}: ${found.reason}; it is not an export of this plugin, so it is left untouched and this camera's export is off`);
    }
    if (found.deathReason === null) {
      throw new ExportError(`camera ${cameraId} is already exported by live process ${found.header.writerPid} in ${final}; this camera's export is off`);
    }
    removeExportDir(final);
  }

  /** Temporary directories left by a writer of this camera that died while creating its export. */
  private removeAbandonedTemporaries(cameraId: string): void {
    for (const name of fs.readdirSync(this.config.exportDir)) {
      if (TEMPORARY_NAME.exec(name)?.[1] !== cameraId) continue;
      const temporary = path.join(this.config.exportDir, name);
      if (abandonedTemporaryReason(temporary) !== null) removeExportDir(temporary);
    }
  }
}
