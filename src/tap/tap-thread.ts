import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { inject, injectable } from 'tsyringe';
import type { FrameExportConfig } from '../config/frame-export-config';
import { F_GETFL, F_SETFL, O_NONBLOCK, type LibC } from '../ffi/libc';
import type { Logger } from '../log/logger';
import type { ExportMemory } from '../shm/export-memory';
import { TOKENS } from '../tokens';
import type { TapCommand, TapEvent, TapWorkerData } from './tap-messages';

/**
 * What the owner of an attached pipe hears back, on the main thread, exactly once: the tap
 * thread has let go of the pipe and the memory (the ring is consistent, the memory may be
 * unmapped). `reason` says why the stream ended, or is null after a requested detach.
 */
export interface TapListener {
  released(reason: string | null): void;
}

interface Attachment {
  readonly fd: number;
  readonly listener: TapListener;
}

/**
 * Main-thread side of the tap thread (tap-worker.ts): starts it on first use, hands it pipes
 * and memory, and hears back. Only messages cross; no frame ever comes back here.
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

  /** Hands the read end of a camera's pipe and its export memory to the tap thread. */
  attach(cameraId: string, fd: number, memory: ExportMemory, listener: TapListener): number {
    this.start();
    const tapId = this.nextTapId++;
    this.attachments.set(tapId, { fd, listener });
    this.send({
      type: 'attach', tapId, cameraId, fd,
      metaAddress: memory.metaAddress, dataAddress: memory.dataAddress, layout: memory.layout,
    });
    return tapId;
  }

  /** Asks the tap thread to stop reading; `listener.released(null)` follows. */
  detach(tapId: number): void {
    if (this.attachments.has(tapId)) this.send({ type: 'detach', tapId });
  }

  close(): void {
    if (this.worker === null) return;
    this.shuttingDown = true;
    this.send({ type: 'shutdown' });
  }

  private start(): void {
    if (this.worker !== null) return;
    const [wakeRead, wakeWrite] = this.libc.pipe();
    this.libc.fcntl(wakeRead, F_SETFL, this.libc.fcntl(wakeRead, F_GETFL, 0) | O_NONBLOCK);
    this.libc.fcntl(wakeWrite, F_SETFL, this.libc.fcntl(wakeWrite, F_GETFL, 0) | O_NONBLOCK);
    this.wakeReadFd = wakeRead;
    this.wakeWriteFd = wakeWrite;
    const channel = new MessageChannel();
    this.commands = channel.port1;
    const workerData: TapWorkerData = { ffi: this.config.ffi, wakeFd: wakeRead, commands: channel.port2 };
    const worker = new Worker(path.join(__dirname, 'tap-worker.js'), { workerData, transferList: [channel.port2], trackUnmanagedFds: false });
    worker.unref();
    worker.on('message', (event: TapEvent) => this.onEvent(event));
    worker.on('error', (error) => this.logger.error(`tap thread failed: ${error.message}`));
    worker.on('exit', () => this.onExit(worker));
    this.worker = worker;
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
    this.attachments.delete(event.tapId);
    attachment.listener.released(event.type === 'ended' ? event.reason : null);
  }

  /**
   * The tap thread is gone. After a shutdown it closed every pipe itself. After a failure,
   * pipes it still held are drained here, discarding bytes, so FFmpeg can never block on a full
   * pipe and stall RTP and HLS.
   */
  private onExit(worker: Worker): void {
    if (this.worker === worker) this.worker = null;
    for (const [tapId, attachment] of this.attachments) {
      this.attachments.delete(tapId);
      if (this.shuttingDown) {
        attachment.listener.released(null);
        continue;
      }
      const sink = new net.Socket({ fd: attachment.fd, readable: true, writable: false });
      sink.on('error', () => sink.destroy());
      sink.resume();
      attachment.listener.released('tap thread exited; its pipe is drained and discarded to protect decode');
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
}

const WAKE_BYTE = new Uint8Array([1]);
