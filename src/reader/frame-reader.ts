import * as fs from 'node:fs';
import * as path from 'node:path';
import { cameraIdProblem } from '../config/camera-id';
import { CONFIG_DEFAULTS, type FfiBackend } from '../config/frame-export-config';
import type { LibC } from '../ffi/libc';
import { loadLibC } from '../ffi/load-libc';
import { DATA_FILE_NAME, HEARTBEAT_STALE_MS, Header, META_FILE_NAME, WriterState } from '../layout/frame-export-layout';
import type { Frame } from '../meta/frame-meta';
import { decodeHeader, readStatusBlock, type ExportHeader, type ExportStatusBlock } from '../meta/meta-decoder';
import { MetaView } from '../meta/meta-view';
import { SlotReader } from './slot-reader';

/** What a reader knows about its camera's export (format spec section 5.3). */
export type ExportStatus = 'live' | 'not-present' | 'writer-dead' | 'restarted' | 'invalid';

export interface FrameReaderOptions {
  /** Export dir; default AI_FRAME_EXPORT_DIR or /dev/shm/vas. */
  readonly dir?: string;
  /** libc binding; default AI_FRAME_EXPORT_FFI or koffi. */
  readonly ffi?: FfiBackend;
  /** How often latest() re-checks liveness and restarts, in ms (default 100). */
  readonly recheckMs?: number;
}

/** Everything the CLI shows about one export. */
export interface ExportInfo {
  readonly header: ExportHeader;
  readonly status: ExportStatusBlock;
  readonly state: number;
  readonly writerAlive: boolean;
  readonly heartbeatAgeMs: number;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

interface Mapping {
  readonly dirDev: number;
  readonly dirIno: number;
  readonly metaFd: number;
  readonly dataFd: number;
  readonly metaAddress: number;
  readonly dataAddress: number;
  readonly metaSize: number;
  readonly dataSize: number;
  readonly meta: MetaView;
  readonly slots: SlotReader;
}

let ownPidNamespace: number | undefined;

function pidNamespace(): number {
  if (ownPidNamespace === undefined) {
    try {
      ownPidNamespace = fs.statSync('/proc/self/ns/pid').ino;
    } catch {
      ownPidNamespace = 0;
    }
  }
  return ownPidNamespace;
}

function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/**
 * Reads one camera's export, read-only: it opens the files O_RDONLY, maps them PROT_READ and
 * never writes, locks or signals anything. Opening never fails because the export is absent;
 * the reader attaches when it appears and re-attaches after a restart.
 */
export class FrameReader {
  private mapping: Mapping | null = null;
  private lastStatus: ExportStatus = 'not-present';
  private restartPending = false;
  private lastCheckMs = -Infinity;
  private knownGeneration: bigint | null = null;
  private statusUnreadableSinceMs: number | null = null;
  /** Why the export was refused, when status() is 'invalid'. */
  problem: string | null = null;

  private constructor(
    readonly cameraId: string,
    readonly dir: string,
    private readonly libc: LibC,
    private readonly recheckMs: number,
  ) {}

  /** Throws only for an invalid camera id. */
  static open(cameraId: string, options: FrameReaderOptions = {}): FrameReader {
    const problem = cameraIdProblem(cameraId);
    if (problem !== null) throw new Error(problem);
    const dir = options.dir ?? (process.env.AI_FRAME_EXPORT_DIR || CONFIG_DEFAULTS.exportDir);
    const ffi = options.ffi ?? (process.env.AI_FRAME_EXPORT_FFI === 'ffi-rs' ? 'ffi-rs' : 'koffi');
    const reader = new FrameReader(cameraId, dir, loadLibC(ffi), options.recheckMs ?? 100);
    reader.check();
    return reader;
  }

  get cameraDir(): string {
    return path.join(this.dir, this.cameraId);
  }

  /** Reads discarded by the protocol (slot being written or overwritten while copying). */
  get skipped(): number {
    return this.mapping?.slots.skipped ?? 0;
  }

  /** Re-checks now; 'restarted' is reported once after attaching to a new generation. */
  status(): ExportStatus {
    this.check();
    if (this.restartPending && this.lastStatus === 'live') {
      this.restartPending = false;
      return 'restarted';
    }
    return this.lastStatus;
  }

  /** The latest valid frame, or null (no frame yet, not live, or every try was discarded). */
  latest(): Frame | null {
    this.checkIfDue();
    if (this.lastStatus !== 'live' || this.mapping === null) return null;
    return this.mapping.slots.latest();
  }

  /** The published latest frame id (0: none yet, or not live); cheap, for polling. */
  latestFrameId(): number {
    this.checkIfDue();
    if (this.lastStatus !== 'live' || this.mapping === null) return 0;
    return this.mapping.slots.latestFrameId();
  }

  /** Header and counters of the attached export, or null. */
  info(): ExportInfo | null {
    this.check();
    const mapping = this.mapping;
    if (mapping === null) return null;
    const status = readStatusBlock(mapping.meta);
    if (status === null) return null;
    return {
      header: mapping.slots.header,
      status,
      state: mapping.meta.loadU32(Header.STATE),
      writerAlive: this.writerAlive(mapping.slots.header, status),
      heartbeatAgeMs: Number(monotonicNs() - status.heartbeatNs) / 1e6,
    };
  }

  close(): void {
    this.detach();
    this.lastStatus = 'not-present';
  }

  private checkIfDue(): void {
    if (performance.now() - this.lastCheckMs >= this.recheckMs) this.check();
  }

  private check(): void {
    this.lastCheckMs = performance.now();
    let dirStat: fs.Stats | null;
    try {
      dirStat = this.statCameraDir();
    } catch (error) {
      this.detach();
      this.problem = `camera ${this.cameraId}: cannot look at ${this.cameraDir}: ${(error as Error).message}`;
      this.lastStatus = 'invalid';
      return;
    }
    if (dirStat === null) {
      this.detach();
      this.lastStatus = 'not-present';
      return;
    }
    if (!dirStat.isDirectory()) {
      this.detach();
      this.problem = `camera ${this.cameraId}: ${this.cameraDir} is not a directory (a symbolic link or a file): refusing it`;
      this.lastStatus = 'invalid';
      return;
    }
    if (this.mapping === null || this.mapping.dirIno !== dirStat.ino || this.mapping.dirDev !== dirStat.dev) {
      this.detach();
      if (!this.attach()) return;
    }
    const mapping = this.mapping!;
    const state = mapping.meta.loadU32(Header.STATE);
    if (state === WriterState.STOPPED) {
      this.lastStatus = 'not-present';
      return;
    }
    if (state !== WriterState.LIVE) {
      this.problem = `camera ${this.cameraId}: state ${state} is neither LIVE (1) nor STOPPED (2)`;
      this.lastStatus = 'invalid';
      return;
    }
    const status = readStatusBlock(mapping.meta);
    if (status === null) {
      // status_seq stuck odd: a writer that died inside a publish. Judged like a stale heartbeat.
      this.statusUnreadableSinceMs ??= this.lastCheckMs;
      this.lastStatus = this.lastCheckMs - this.statusUnreadableSinceMs > HEARTBEAT_STALE_MS ? 'writer-dead' : this.lastStatus;
      return;
    }
    this.statusUnreadableSinceMs = null;
    this.lastStatus = this.writerAlive(mapping.slots.header, status) ? 'live' : 'writer-dead';
  }

  private writerAlive(header: ExportHeader, status: ExportStatusBlock): boolean {
    if (header.writerPid > 0 && header.writerPidns !== 0 && header.writerPidns === pidNamespace()) {
      try {
        process.kill(header.writerPid, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
      }
    }
    return Number(monotonicNs() - status.heartbeatNs) / 1e6 <= HEARTBEAT_STALE_MS;
  }

  /** null when absent; throws for anything else (permission denied, say). */
  private statCameraDir(): fs.Stats | null {
    try {
      return fs.lstatSync(this.cameraDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw error;
    }
  }

  /** Opens both files from one directory inode (spec section 1) and maps them read-only. */
  private attach(): boolean {
    let dirFd = -1;
    const fds: number[] = [];
    const maps: Array<[number, number]> = [];
    try {
      dirFd = fs.openSync(this.cameraDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      const { dev: dirDev, ino: dirIno } = fs.fstatSync(dirFd);
      const metaFd = fs.openSync(`/proc/self/fd/${dirFd}/${META_FILE_NAME}`, O_RDONLY | O_NOFOLLOW);
      fds.push(metaFd);
      const dataFd = fs.openSync(`/proc/self/fd/${dirFd}/${DATA_FILE_NAME}`, O_RDONLY | O_NOFOLLOW);
      fds.push(dataFd);
      const metaSize = fs.fstatSync(metaFd).size;
      const dataSize = fs.fstatSync(dataFd).size;
      if (metaSize === 0 || dataSize === 0) throw new InvalidExport(`empty file (frame.meta ${metaSize} bytes, frame.data ${dataSize} bytes)`);
      const metaAddress = this.libc.mmapShared(metaFd, metaSize, false);
      maps.push([metaAddress, metaSize]);
      const dataAddress = this.libc.mmapShared(dataFd, dataSize, false);
      maps.push([dataAddress, dataSize]);
      const meta = new MetaView(this.libc.view(metaAddress, metaSize), metaSize - (metaSize % 4));
      const header = decodeHeader(meta, metaSize, dataSize);
      if (typeof header === 'string') throw new InvalidExport(header);
      const data = new Uint8Array(this.libc.view(dataAddress, dataSize));
      const slots = new SlotReader(this.cameraId, meta, data, header);
      this.mapping = { dirDev, dirIno, metaFd, dataFd, metaAddress, dataAddress, metaSize, dataSize, meta, slots };
      if (this.knownGeneration !== null && this.knownGeneration !== header.generation) this.restartPending = true;
      this.knownGeneration = header.generation;
      this.problem = null;
      return true;
    } catch (error) {
      for (const [address, size] of maps) this.libc.munmap(address, size);
      for (const fd of fds) fs.closeSync(fd);
      if (error instanceof InvalidExport) {
        this.problem = `camera ${this.cameraId}: ${error.message}`;
        this.lastStatus = 'invalid';
      } else {
        this.lastStatus = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-present' : 'invalid';
        this.problem = this.lastStatus === 'invalid' ? `camera ${this.cameraId}: cannot open ${this.cameraDir}: ${(error as Error).message}` : null;
      }
      return false;
    } finally {
      if (dirFd >= 0) fs.closeSync(dirFd);
    }
  }

  private detach(): void {
    const mapping = this.mapping;
    if (mapping === null) return;
    this.mapping = null;
    this.libc.munmap(mapping.metaAddress, mapping.metaSize);
    this.libc.munmap(mapping.dataAddress, mapping.dataSize);
    fs.closeSync(mapping.metaFd);
    fs.closeSync(mapping.dataFd);
  }
}

class InvalidExport extends Error {}
