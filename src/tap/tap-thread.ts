import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { inject, injectable } from 'tsyringe';
import type { FrameExportConfig } from '../config/frame-export-config';
import { F_DUPFD_CLOEXEC, F_GETFL, F_SETFL, LibcError, O_NONBLOCK, type LibC } from '../ffi/libc';
import type { Logger } from '../log/logger';
import type { ExportMemory } from '../shm/export-memory';
import { TOKENS } from '../tokens';
import { discardUntilEnd } from './pipe-sink';
import type { TapCommand, TapEvent, TapWorkerData } from './tap-messages';

/**
 * What the owner of an attached pipe hears back, on the main thread, exactly once: the tap
 * thread has let go of the memory (the ring is consistent, the memory may be unmapped).
 * `reason` says why (the stream ended, attaching failed, the tap thread died), or is null after
 * a requested detach or a shutdown.
 */
export interface TapListener {
  released(reason: string | null): void;
}

interface Attachment {
  /** The main thread's own read end. It stays open until the pipe has ended, whatever happens. */
  readonly fd: number;
  readonly listener: TapListener;
  released: boolean;
}

/**
 * Main-thread side of the tap thread (tap-worker.ts): starts it on first use, hands it pipes
 * and memory, and hears back. Only messages cross; no frame ever comes back here.
 *
 * Pipe ownership (what keeps FFmpeg safe): the main thread keeps its read end of every pipe
 * it hands over and gives the tap thread a duplicate. Whatever fails - the worker cannot start,
 * an attach fails, the worker dies - the main thread still holds a valid fd and drains it until
 * FFmpeg closes the pipe (pipe-sink.ts). It closes its fd only after the tap thread has seen the
 * end of the stream. Every worker callback is guarded: nothing here throws into VAS.
 */
@injectable()
export class TapThread {
  private worker: Worker | null = null;
  private commands: MessagePort | null = null;
  private wakeWriteFd = -1;
  private wakeReadFd = -1;
  private nextTapId = 1;
  private readonly attachments = new Map<number, Attachment>();
  private shuttingDown = false;

  constructor(
    @inject(TOKENS.Config) private readonly config: FrameExportConfig,
    @inject(TOKENS.LibC) private readonly libc: LibC,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  /**
   * Hands a camera's pipe (read end `fd`, which the caller keeps owning until this returns) and
   * its export memory to the tap thread. Throws if the tap thread cannot take it; the caller
   * then still owns `fd` and nothing was sent. On success `fd` belongs to this class.
   */
  attach(cameraId: string, fd: number, memory: ExportMemory, listener: TapListener): number {
    this.start();
    const duplicate = this.libc.fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (duplicate < 0) throw new LibcError('fcntl(F_DUPFD_CLOEXEC)', -duplicate);
    const tapId = this.nextTapId++;
    try {
      this.send({
        type: 'attach', tapId, cameraId, fd: duplicate,
        metaAddress: memory.metaAddress, dataAddress: memory.dataAddress, layout: memory.layout,
      });
    } catch (error) {
      fs.closeSync(duplicate);
      throw error;
    }
    this.attachments.set(tapId, { fd, listener, released: false });
    return tapId;
  }

  /** Asks the tap thread to let go of the memory; `listener.released(null)` follows. */
  detach(tapId: number): void {
    if (this.attachments.get(tapId)?.released === false) this.send({ type: 'detach', tapId });
  }

  close(): void {
    if (this.worker === null) return;
    this.shuttingDown = true;
    this.send({ type: 'shutdown' });
  }

  private start(): void {
    if (this.worker !== null) return;
    const [wakeRead, wakeWrite] = this.libc.pipe();
    try {
      for (const fd of [wakeRead, wakeWrite]) this.libc.fcntl(fd, F_SETFL, this.libc.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
      const channel = new MessageChannel();
      const workerData: TapWorkerData = { ffi: this.config.ffi, wakeFd: wakeRead, commands: channel.port2 };
      const worker = new Worker(path.join(__dirname, 'tap-worker.js'), { workerData, transferList: [channel.port2], trackUnmanagedFds: false });
      worker.unref();
      worker.on('message', (event: TapEvent) => this.guarded('tap event', () => this.onEvent(event)));
      worker.on('error', (error) => this.guarded('tap error', () => this.logger.error(`tap thread failed: ${error?.message ?? String(error)}`)));
      worker.on('exit', () => this.guarded('tap exit', () => this.onExit(worker)));
      this.commands = channel.port1;
      this.worker = worker;
      this.wakeReadFd = wakeRead;
      this.wakeWriteFd = wakeWrite;
    } catch (error) {
      fs.closeSync(wakeRead);
      fs.closeSync(wakeWrite);
      throw error;
    }
  }

  private send(command: TapCommand): void {
    this.commands!.postMessage(command);
    try {
      fs.writeSync(this.wakeWriteFd, WAKE_BYTE);
    } catch {
      // EAGAIN: the wake pipe is full, so the tap thread is already woken
    }
  }

  private onEvent(event: TapEvent): void {
    if (event.type === 'error') {
      this.logger.error(event.message);
      return;
    }
    if (event.type === 'warning') {
      this.logger.warn(event.message);
      return;
    }
    const attachment = this.attachments.get(event.tapId);
    if (attachment === undefined) return;
    if (event.type === 'attach-failed') {
      this.attachments.delete(event.tapId);
      discardUntilEnd(attachment.fd);
      this.release(attachment, `the tap thread could not take its pipe (${event.reason}); the pipe is drained and discarded`);
      return;
    }
    if (event.type === 'released') this.release(attachment, event.reason);
    if (event.type === 'closed' || (event.type === 'released' && event.pipeClosed)) {
      this.attachments.delete(event.tapId);
      fs.closeSync(attachment.fd);
    }
  }

  private release(attachment: Attachment, reason: string | null): void {
    if (attachment.released) return;
    attachment.released = true;
    attachment.listener.released(reason);
  }

  /**
   * The tap thread is gone (shut down, or died). It no longer touches any memory; every pipe it
   * had not finished is drained here until FFmpeg closes it.
   */
  private onExit(worker: Worker): void {
    if (this.worker === worker) this.worker = null;
    const died = !this.shuttingDown;
    for (const [tapId, attachment] of this.attachments) {
      this.attachments.delete(tapId);
      discardUntilEnd(attachment.fd);
      this.guarded('tap release', () => this.release(attachment,
        died ? 'tap thread exited; its pipe is drained and discarded to protect decode' : null));
    }
    this.shuttingDown = false;
    for (const fd of [this.wakeReadFd, this.wakeWriteFd]) {
      if (fd >= 0) fs.closeSync(fd);
    }
    this.wakeReadFd = -1;
    this.wakeWriteFd = -1;
    this.commands?.close();
    this.commands = null;
  }

  /** Runs a worker callback; nothing may escape into VAS, not even from the logger. */
  private guarded(what: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      try {
        this.logger.error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      } catch {
        // a logger that throws: nothing more can be done without throwing into VAS
      }
    }
  }
}

const WAKE_BYTE = new Uint8Array([1]);
