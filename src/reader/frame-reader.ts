import * as fs from 'node:fs';
import * as path from 'node:path';
import { cameraIdProblem } from '../config/camera-id';
import { CONFIG_DEFAULTS, type FfiBackend } from '../config/frame-export-config';
import type { LibC } from '../ffi/libc';
import { loadLibC } from '../ffi/load-libc';
import { DATA_FILE_NAME, FRAME_POLL_MS, Header, META_FILE_NAME, POLL_MS, WAIT_RECHECK_MS, WriterState } from '../layout/frame-export-layout';
import type { Frame } from '../meta/frame-meta';
import { decodeHeader, readStatusBlock, type ExportHeader, type ExportStatusBlock } from '../meta/meta-decoder';
import { MetaView } from '../meta/meta-view';
import { monotonicNs, statusOfState, writerDeathReason, type ExportStatus } from '../status/export-status';
import { SlotReader, type SlotRead } from './slot-reader';

export type { ExportStatus } from '../status/export-status';
export type { SlotRead } from './slot-reader';

export interface FrameReaderOptions {
  /** Export dir; default AI_FRAME_EXPORT_DIR or /dev/shm/vas. */
  readonly dir?: string;
  /** libc binding; default AI_FRAME_EXPORT_FFI or koffi. */
  readonly ffi?: FfiBackend;
  /** How often reads re-evaluate status (path, liveness), in ms (default POLL_MS, 100). */
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

/** What the wait loop does next (format spec 5.4). */
type WaitStep =
  | { readonly kind: 'frame'; readonly frame: Frame | null; readonly frameId: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'futex'; readonly address: number; readonly expected: number; readonly ms: number }
  | { readonly kind: 'sleep'; readonly ms: number };

/**
 * Reads one camera's export, read-only: it opens the files O_RDONLY, maps them PROT_READ and
 * never writes, locks or signals anything (FUTEX_WAIT only reads the futex word). Opening
 * never fails because the export is absent; the reader attaches when it appears and
 * re-attaches after a restart. Status follows format spec section 6, through the one rule set
 * in src/status/export-status.ts.
 *
 * Threads: `waitNext` blocks the calling thread (use it in a worker thread); `frames()` waits on
 * a native thread of the libc binding and keeps the calling event loop free.
 */
export class FrameReader {
  private mapping: Mapping | null = null;
  private lastStatus: ExportStatus = 'not-present';
  private restartPending = false;
  private lastCheckMs = -Infinity;
  private knownGeneration: bigint | null = null;
  private busySinceMs: number | null = null;
  /** The last frame returned, for "newer" (spec 5.2): generation and id. */
  private returnedGeneration: bigint | null = null;
  private returnedFrameId = 0;
  private closed = false;
  private readonly timespec = new Int32Array(4);
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  /** Why the export was refused, when status() is 'invalid'. */
  problem: string | null = null;

  private constructor(
    readonly cameraId: string,
    readonly dir: string,
    private readonly libc: LibC,
    private readonly recheckMs: number,
  ) {}

  /** Throws only for an invalid camera id, or on a CPU other than x86-64 (spec 5.3). */
  static open(cameraId: string, options: FrameReaderOptions = {}): FrameReader {
    if (process.arch !== 'x64') {
      throw new Error(`the TypeScript frame reader needs an x86-64 CPU (this is ${process.arch}): JavaScript atomics do not ` +
        'order the frame bytes around the sequence counters here, so it could return torn frames; use the C reader');
    }
    const problem = cameraIdProblem(cameraId);
    if (problem !== null) throw new Error(problem);
    const dir = options.dir ?? (process.env.AI_FRAME_EXPORT_DIR || CONFIG_DEFAULTS.exportDir);
    const ffi = options.ffi ?? (process.env.AI_FRAME_EXPORT_FFI === 'ffi-rs' ? 'ffi-rs' : 'koffi');
    const reader = new FrameReader(cameraId, dir, loadLibC(ffi), options.recheckMs ?? POLL_MS);
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

  /** The numbers of the frame the last successful `readInto` copied (rewritten in place). */
  get lastRead(): Readonly<SlotRead> | null {
    return this.mapping?.slots.lastRead ?? null;
  }

  /** Re-evaluates now (spec 6.1); 'restarted' is reported once after attaching to a new generation. */
  status(): ExportStatus {
    this.check();
    if (this.restartPending && (this.lastStatus === 'live' || this.lastStatus === 'idle')) {
      this.restartPending = false;
      return 'restarted';
    }
    return this.lastStatus;
  }

  /** The latest valid frame, or null (no frame yet, not readable now, or every try was discarded). */
  latest(): Frame | null {
    this.checkIfDue();
    const mapping = this.readableMapping();
    if (mapping === null) return null;
    const frame = mapping.slots.latest();
    if (frame !== null) this.remember(frame.meta.generation, frame.meta.frameId);
    return frame;
  }

  /**
   * Copies the latest valid frame into `target` (at least frame_size bytes) and returns its id,
   * or 0. Allocates nothing per frame; the frame's numbers are in `lastRead`, its geometry in
   * `header()`.
   */
  readInto(target: Uint8Array): number {
    this.checkIfDue();
    const mapping = this.readableMapping();
    if (mapping === null) return 0;
    const frameId = mapping.slots.readInto(target);
    if (frameId !== 0) this.remember(mapping.slots.header.generation, frameId);
    return frameId;
  }

  /** The published latest frame id (0: none yet, or not readable); cheap, for polling. */
  latestFrameId(): number {
    this.checkIfDue();
    return this.readableMapping()?.slots.latestFrameId() ?? 0;
  }

  /** The attached export's header (geometry, colour), or null. */
  header(): ExportHeader | null {
    return this.mapping?.slots.header ?? null;
  }

  /**
   * Blocks the calling thread until a frame newer than the last one returned is committed, or
   * `timeoutMs` passes (null). Waits with FUTEX_WAIT on the export's futex word (no polling);
   * polls only where there is nothing to wait on (spec 5.4). For worker threads: on the main
   * thread it stalls the event loop, use `frames()` there.
   */
  waitNext(timeoutMs: number): Frame | null {
    return this.waitFor(timeoutMs, null)?.frame ?? null;
  }

  /**
   * waitNext that copies into `target` (at least frame_size bytes) instead of allocating a frame:
   * the frame's id, or 0 at the timeout; its numbers are in `lastRead`. For a worker thread's
   * loop that allocates nothing per frame.
   */
  waitNextInto(target: Uint8Array, timeoutMs: number): number {
    return this.waitFor(timeoutMs, target)?.frameId ?? 0;
  }

  /** Spec 5.4 on the calling thread: the newer frame taken (into `target`, or allocated), or null at the timeout. */
  private waitFor(timeoutMs: number, target: Uint8Array | null): Extract<WaitStep, { kind: 'frame' }> | null {
    const deadline = this.nowMs() + Math.max(0, timeoutMs);
    for (;;) {
      const step = this.nextStep(deadline, target);
      if (step.kind === 'frame') return step;
      if (step.kind === 'timeout') return null;
      if (step.kind === 'futex') this.libc.futexWait(step.address, step.expected, step.ms);
      else Atomics.wait(this.sleeper, 0, 0, step.ms);
    }
  }

  /**
   * Every new frame as it is committed (the latest one when the consumer is slower: frames in
   * between are skipped, never queued), until the reader is closed or the loop is left:
   *   for await (const frame of reader.frames()) { ... }
   * The wait runs on a native thread of the libc binding, so the event loop stays free.
   */
  async *frames(): AsyncGenerator<Frame, void, undefined> {
    while (!this.closed) {
      const step = this.nextStep(this.nowMs() + WAIT_RECHECK_MS, null);
      if (step.kind === 'frame') yield step.frame!;
      else if (step.kind === 'futex') await this.libc.futexWaitAsync(step.address, step.expected, step.ms);
      else if (step.kind === 'sleep') await new Promise((resolve) => setTimeout(resolve, step.ms));
    }
  }

  /** Header and counters of the attached export, or null. */
  info(): ExportInfo | null {
    this.check();
    const mapping = this.mapping;
    if (mapping === null) return null;
    const status = readStatusBlock(mapping.meta);
    if (status === null) return null;
    const header = mapping.slots.header;
    const now = monotonicNs();
    return {
      header,
      status,
      state: mapping.meta.loadU32(Header.STATE),
      writerAlive: writerDeathReason(header, status, now, 0) === null,
      heartbeatAgeMs: Number(now - status.heartbeatNs) / 1e6,
    };
  }

  close(): void {
    this.closed = true;
    this.detach();
    this.lastStatus = 'not-present';
  }

  /** One turn of spec 5.4's wait loop; a newer frame is copied into `target`, or allocated when null. */
  private nextStep(deadlineMs: number, target: Uint8Array | null): WaitStep {
    this.checkIfDue();
    const mapping = this.readableMapping();
    const waitable = mapping !== null && mapping.slots.header.version >= 2;
    // The futex word is read BEFORE looking for a frame: a commit after the look changes it, so
    // FUTEX_WAIT returns at once instead of sleeping through that frame (no lost wake-up).
    const expected = waitable ? mapping.meta.loadU32(Header.NOTIFY_SEQ) : 0;
    if (mapping !== null) {
      const { generation } = mapping.slots.header;
      const published = mapping.slots.latestFrameId();
      if (published > 0 && this.isNewer(generation, published)) {
        const frame = target === null ? mapping.slots.latest() : null;
        const frameId = target === null ? frame?.meta.frameId ?? 0 : mapping.slots.readInto(target);
        if (frameId > 0 && this.isNewer(generation, frameId)) {
          this.remember(generation, frameId);
          return { kind: 'frame', frame, frameId };
        }
      }
    }
    const left = deadlineMs - this.nowMs();
    if (left <= 0) return { kind: 'timeout' };
    if (waitable) {
      // A dead writer wakes nobody and a new generation is another futex word: look again at
      // least every WAIT_RECHECK_MS, and at the next status check.
      return { kind: 'futex', address: mapping.metaAddress + Header.NOTIFY_SEQ, expected, ms: Math.min(left, WAIT_RECHECK_MS, this.recheckMs) };
    }
    // A version 1 file has no futex word: poll its frames; with nothing to read, look less often.
    return { kind: 'sleep', ms: Math.min(left, mapping !== null ? FRAME_POLL_MS : POLL_MS) };
  }

  private readableMapping(): Mapping | null {
    const status = this.lastStatus;
    return status === 'live' || status === 'idle' ? this.mapping : null;
  }

  private isNewer(generation: bigint, frameId: number): boolean {
    return generation !== this.returnedGeneration || frameId > this.returnedFrameId;
  }

  private remember(generation: bigint, frameId: number): void {
    this.returnedGeneration = generation;
    this.returnedFrameId = frameId;
  }

  /** CLOCK_MONOTONIC in ms, read into a preallocated timespec (performance.now() allocates). */
  private nowMs(): number {
    this.libc.clockMonotonic(this.timespec);
    return ((this.timespec[0]! >>> 0) + this.timespec[1]! * 4294967296) * 1000 + (this.timespec[2]! >>> 0) / 1e6;
  }

  private checkIfDue(): void {
    if (this.nowMs() - this.lastCheckMs >= this.recheckMs) this.check();
  }

  /** Format spec 6.1, steps 1 to 7 (the restart report of step 5 is status()'s). */
  private check(): void {
    this.lastCheckMs = this.nowMs();
    // 1. Path.
    let dirStat: fs.Stats | null;
    try {
      dirStat = this.statCameraDir();
    } catch (error) {
      this.refuse(permissionDenied(error) ? 'permission denied (is this user in AI_FRAME_EXPORT_GROUP?)' : `cannot look at it: ${errorText(error)}`);
      return;
    }
    if (dirStat === null) {
      this.detach();
      this.lastStatus = 'not-present';
      return;
    }
    if (!dirStat.isDirectory()) {
      this.refuse('it is not a directory (a symbolic link or a file): refusing it');
      return;
    }
    // 2. Attach, by directory inode.
    if (this.mapping === null || this.mapping.dirIno !== dirStat.ino || this.mapping.dirDev !== dirStat.dev) {
      this.detach();
      if (!this.attach()) return;
    }
    const mapping = this.mapping!;
    // 3. State.
    const byState = statusOfState(mapping.meta.loadU32(Header.STATE));
    if (byState !== null) {
      this.problem = byState.reason === null ? null : `camera ${this.cameraId}: ${byState.reason}`;
      this.lastStatus = byState.status;
      return;
    }
    // 4. Liveness (spec 6.3).
    const status = readStatusBlock(mapping.meta);
    if (status === null) this.busySinceMs ??= this.lastCheckMs;
    else this.busySinceMs = null;
    const busyForMs = this.busySinceMs === null ? 0 : this.lastCheckMs - this.busySinceMs;
    const death = writerDeathReason(mapping.slots.header, status, monotonicNs(), busyForMs);
    if (death !== null) {
      this.problem = `camera ${this.cameraId}: ${death}`;
      this.lastStatus = 'writer-dead';
      return;
    }
    // 6, 7. Idle or live (5, the one-time 'restarted', is reported by status()).
    this.problem = null;
    this.lastStatus = mapping.meta.loadU32(Header.STATE) === WriterState.IDLE ? 'idle' : 'live';
  }

  private refuse(reason: string): void {
    this.detach();
    this.problem = `camera ${this.cameraId}: ${this.cameraDir}: ${reason}`;
    this.lastStatus = 'invalid';
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

  /** Opens both files from one directory inode (spec section 1), maps them read-only, validates (spec 7). */
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
      this.busySinceMs = null;
      this.problem = null;
      return true;
    } catch (error) {
      for (const [address, size] of maps) this.libc.munmap(address, size);
      for (const fd of fds) fs.closeSync(fd);
      if (error instanceof InvalidExport) {
        this.problem = `camera ${this.cameraId}: ${error.message}`;
        this.lastStatus = 'invalid';
      } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.problem = null;
        this.lastStatus = 'not-present';
      } else {
        this.problem = `camera ${this.cameraId}: ${this.cameraDir}: ${permissionDenied(error) ? 'permission denied (is this user in AI_FRAME_EXPORT_GROUP?)' : `cannot open it: ${errorText(error)}`}`;
        this.lastStatus = 'invalid';
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

function permissionDenied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

function errorText(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  return err?.code !== undefined ? `${err.code} (${err.syscall ?? 'syscall'})` : String(err?.message ?? error);
}
