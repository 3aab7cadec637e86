import * as fs from 'node:fs';
import { inject, injectable } from 'tsyringe';
import { cameraIdProblem } from '../config/camera-id';
import { CONFIG_LIMITS, type FrameExportConfig } from '../config/frame-export-config';
import type { FrameClock } from '../clock/frame-clock';
import type { LibC } from '../ffi/libc';
import { ColorMatrix, HEARTBEAT_INTERVAL_MS, Header, WriterState, computeLayout, type FrameGeometry } from '../layout/frame-export-layout';
import { RateLimitedLog, type Logger } from '../log/logger';
import type { Frame } from '../meta/frame-meta';
import { decodeHeader } from '../meta/meta-decoder';
import type { MetaEncoder } from '../meta/meta-encoder';
import { MetaView } from '../meta/meta-view';
import { SlotReader } from '../reader/slot-reader';
import { FrameRing } from '../ring/frame-ring';
import { wakerFor } from '../ring/futex-waker';
import type { SharedMemoryStore } from '../shm/export-memory';
import type { TapOptions } from '../tap/ffmpeg-preflight';
import { ffmpegTapArgs } from '../tap/ffmpeg-tap-args';
import { discardUntilEnd } from '../tap/pipe-sink';
import { readSourceProbe } from '../tap/source-probe';
import type { TapThread } from '../tap/tap-thread';
import { TOKENS } from '../tokens';
import { CameraExport } from './camera-export';
import type { DecodeBoundaryHook, FfmpegTapOutput, SpawnedProcess } from './decode-boundary-hook';
import { EMPTY_TAP_OUTPUT } from './noop-hook';

/**
 * The live decode-boundary hook. Runs on VAS's main thread; every entry point is guarded so
 * nothing is ever thrown into VAS: bad input and failures become one log line (rate-limited
 * where they can repeat per frame) and, where a camera's export exists, a meta counter.
 *
 * Per-frame work here (onFrame) is a Map lookup and FrameRing.writeFrame: one copy, no
 * allocation. Frames from FFmpeg never reach this thread at all (see tap-worker.ts).
 */
@injectable()
export class FrameExportHook implements DecodeBoundaryHook {
  private readonly cameras = new Map<string, CameraExport>();
  private readonly badInput: RateLimitedLog;
  private heartbeatTimer: NodeJS.Timeout | null = null;

  constructor(
    @inject(TOKENS.Config) private readonly config: FrameExportConfig,
    @inject(TOKENS.SharedMemory) private readonly store: SharedMemoryStore,
    @inject(TOKENS.MetaEncoder) private readonly encoder: MetaEncoder,
    @inject(TOKENS.Clock) private readonly clock: FrameClock,
    @inject(TOKENS.LibC) private readonly libc: LibC,
    @inject(TOKENS.TapThread) private readonly tap: TapThread,
    @inject(TOKENS.TapOptions) private readonly tapOptions: TapOptions,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {
    this.badInput = new RateLimitedLog(logger);
  }

  onStreamStart(cameraId: string, geometry: FrameGeometry): void {
    this.guard(cameraId, 'onStreamStart', () => {
      const camera = this.start(cameraId, geometry);
      // Decoded in-process, the frames are the camera's own pictures.
      if (camera !== null) this.recordSource(camera, geometry.width, geometry.height);
    });
  }

  onFrame(cameraId: string, frame: Uint8Array): void {
    const camera = this.cameras.get(cameraId);
    if (camera !== undefined && camera.owner === 'main' && frame instanceof Uint8Array) {
      try {
        if (camera.idle) this.setIdle(camera, false);
        if (camera.ring.writeFrame(frame)) return;
      } catch {
        // a value that passes instanceof but is no real Uint8Array: reported below
      }
    }
    this.reportBadFrame(cameraId, frame, camera);
  }

  onStreamStop(cameraId: string): void {
    this.guard(cameraId, 'onStreamStop', () => {
      const camera = this.cameras.get(cameraId);
      if (camera === undefined) {
        this.badInput.warn('stop:unknown', () => `onStreamStop for camera ${describeId(cameraId)} without a started export: nothing to stop`);
        return;
      }
      this.stop(camera);
    });
  }

  ffmpegOutput(cameraId: string, firstFreeFd: number): FfmpegTapOutput {
    let output: FfmpegTapOutput = EMPTY_TAP_OUTPUT;
    this.guard(cameraId, 'ffmpegOutput', () => {
      if (!Number.isInteger(firstFreeFd) || firstFreeFd < 3) {
        throw new Error(`firstFreeFd ${firstFreeFd} must be an integer >= 3 (the length of VAS's stdio array)`);
      }
      const camera = this.start(cameraId, { width: this.config.width, height: this.config.height });
      if (camera === null) return;
      try {
        const frames = this.libc.pipe();
        camera.pendingPipes = { frames, probe: null };
        if (this.tapOptions.sourceProbe) camera.pendingPipes = { frames, probe: this.libc.pipe() };
      } catch (error) {
        // FFmpeg starts without the tap: no export may wait for frames that cannot come.
        this.stop(camera);
        throw error;
      }
      const { frames, probe } = camera.pendingPipes;
      output = {
        args: ffmpegTapArgs(this.config.width, this.config.height, firstFreeFd, this.tapOptions.fpsModeOption, probe === null ? null : firstFreeFd + 1),
        stdio: probe === null ? [frames[1]] : [frames[1], probe[1]],
      };
    });
    return output;
  }

  onProcessSpawned(cameraId: string, child: SpawnedProcess): void {
    this.guard(cameraId, 'onProcessSpawned', () => {
      const camera = this.cameras.get(cameraId);
      if (camera === undefined || camera.pendingPipes === null) return;
      const { frames, probe } = camera.pendingPipes;
      camera.pendingPipes = null;
      // Our copies of the write ends must go, or the pipes never report end of stream.
      fs.closeSync(frames[1]);
      if (probe !== null) fs.closeSync(probe[1]);
      const readFd = frames[0];
      if (child.pid === undefined) {
        fs.closeSync(readFd);
        if (probe !== null) fs.closeSync(probe[0]);
        this.logger.warn(`camera ${cameraId}: FFmpeg did not start; no frames will be exported until the next start`);
        this.setIdle(camera, true);
        return;
      }
      if (probe !== null) readSourceProbe(probe[0], (width, height) => this.recordSource(camera, width, height));
      // The pipe is ours until the tap thread has taken it: if it cannot, it is drained here
      // until FFmpeg closes it (never closed under FFmpeg: EPIPE would end RTP and HLS too).
      try {
        camera.tapId = this.tap.attach(cameraId, readFd, camera.memory, {
          released: (reason) => this.onTapReleased(camera, reason),
        });
      } catch (error) {
        discardUntilEnd(readFd);
        this.logger.error(`camera ${cameraId}: the tap thread cannot take its pipe (${error instanceof Error ? error.message : String(error)}); ` +
          'FFmpeg is unaffected, its frames are discarded and the export is idle until the next start');
        this.setIdle(camera, true);
        return;
      }
      camera.owner = 'tap';
      this.updateHeartbeatTimer();
    });
  }

  latestFrame(cameraId: string): Frame | null {
    try {
      return this.cameras.get(cameraId)?.reader.latest() ?? null;
    } catch {
      return null;
    }
  }

  close(): void {
    for (const camera of [...this.cameras.values()]) this.guard(camera.cameraId, 'close', () => this.stop(camera));
    this.tap.close();
    this.updateHeartbeatTimer();
  }

  /** Creates (or re-creates, with a new generation) a camera's export; null if refused. */
  private start(cameraId: string, geometry: FrameGeometry): CameraExport | null {
    const idProblem = cameraIdProblem(cameraId);
    if (idProblem !== null) {
      this.logger.error(`${idProblem}; export for this camera is off`);
      return null;
    }
    const geometryProblem = this.geometryProblem(geometry);
    if (geometryProblem !== null) {
      this.logger.error(`camera ${cameraId}: ${geometryProblem}; export for this camera is off`);
      return null;
    }
    const previous = this.cameras.get(cameraId);
    if (previous !== undefined) {
      this.logger.info(`camera ${cameraId}: started again without a stop; its export is re-created with a new generation`);
      this.stop(previous);
    }
    const layout = computeLayout(geometry, this.config.slotCount);
    const colorMatrix = this.config.colorMatrix === 'bt601' ? ColorMatrix.BT601 : ColorMatrix.BT709;
    const memory = this.store.create(cameraId, layout, (created) => {
      this.encoder.encode(new MetaView(created.meta), layout, colorMatrix);
    });
    const meta = new MetaView(memory.meta);
    const header = decodeHeader(meta, memory.meta.byteLength, memory.data.byteLength);
    if (typeof header === 'string') throw new Error(`own header failed validation: ${header}`);
    const camera = new CameraExport(cameraId, memory, meta, this.newRing(memory, meta), new SlotReader(cameraId, meta, memory.data, header));
    this.cameras.set(cameraId, camera);
    this.updateHeartbeatTimer();
    return camera;
  }

  /** Unpublishes at once; unmaps now, or when the tap thread has let go. */
  private stop(camera: CameraExport): void {
    this.cameras.delete(camera.cameraId);
    // Readers blocked in FUTEX_WAIT wake and see STOPPED (the ring writes nothing else now:
    // the tap thread, if it owns the ring, only ever touches the slots and the status block).
    camera.ring.setState(WriterState.STOPPED);
    this.store.unpublish(camera.memory);
    if (camera.pendingPipes !== null) {
      for (const pipe of [camera.pendingPipes.frames, camera.pendingPipes.probe]) for (const fd of pipe ?? []) fs.closeSync(fd);
      camera.pendingPipes = null;
    }
    if (camera.owner === 'tap') this.tap.detach(camera.tapId);
    else this.store.release(camera.memory);
    this.updateHeartbeatTimer();
  }

  /**
   * The tap thread let go of a camera: its FFmpeg ended, the tap failed, or the camera was
   * stopped. A camera still exported is idle until VAS restarts or stops it (spec 6: no frame
   * will come); the main thread owns its ring again, continuing from the counters in the status
   * block.
   */
  private onTapReleased(camera: CameraExport, reason: string | null): void {
    if (this.cameras.get(camera.cameraId) === camera) {
      this.logger.info(`camera ${camera.cameraId}: ${reason ?? 'tap detached'}; its export is idle until the next start`);
      camera.ring = this.newRing(camera.memory, camera.meta);
      camera.owner = 'main';
      this.setIdle(camera, true);
      this.updateHeartbeatTimer();
      return;
    }
    this.store.release(camera.memory);
  }

  private newRing(memory: CameraExport['memory'], meta: MetaView): FrameRing {
    return new FrameRing(meta, memory.data, memory.layout, this.clock, wakerFor(this.libc, memory.metaAddress));
  }

  /**
   * The camera's picture size before scaling (spec 3.1: height first, then width, both atomic).
   * Only while this camera's memory is still its current export's (the probe may answer late).
   */
  private recordSource(camera: CameraExport, width: number, height: number): void {
    if (this.cameras.get(camera.cameraId) !== camera) return;
    camera.meta.storeU32(Header.SOURCE_HEIGHT, height);
    camera.meta.storeU32(Header.SOURCE_WIDTH, width);
  }

  /** IDLE while no frame can come (the stream ended), LIVE again when onFrame delivers one. */
  private setIdle(camera: CameraExport, idle: boolean): void {
    camera.idle = idle;
    camera.ring.setState(idle ? WriterState.IDLE : WriterState.LIVE);
  }

  private geometryProblem(geometry: FrameGeometry): string | null {
    const { width, height } = geometry ?? {};
    const { width: w, height: h } = CONFIG_LIMITS;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width % 2 !== 0 || height % 2 !== 0 ||
      width < w.min || width > w.max || height < h.min || height > h.max) {
      return `geometry ${JSON.stringify(geometry)} is not accepted: NV12 needs even width ${w.min}-${w.max} and even height ${h.min}-${h.max}`;
    }
    return null;
  }

  /**
   * Heartbeats for rings the main thread owns; the tap thread beats for its own. The timer runs
   * only while the main thread owns one: with every camera on the tap it would wake VAS's event
   * loop 4 times a second for nothing (measured: 0.8 ms of CPU per second).
   */
  private updateHeartbeatTimer(): void {
    let needed = false;
    for (const camera of this.cameras.values()) needed ||= camera.owner === 'main';
    if (needed && this.heartbeatTimer === null) {
      this.heartbeatTimer = setInterval(() => {
        for (const camera of this.cameras.values()) if (camera.owner === 'main') camera.ring.heartbeat();
      }, HEARTBEAT_INTERVAL_MS);
      this.heartbeatTimer.unref();
    } else if (!needed && this.heartbeatTimer !== null) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
  }

  /**
   * Why onFrame did not take a frame, at a bounded rate per kind (unknown ids share one key, so
   * a stream of ever-new bad ids cannot grow the limiter). Never throws, whatever the values.
   */
  private reportBadFrame(cameraId: unknown, frame: unknown, camera: CameraExport | undefined): void {
    try {
      if (camera === undefined) {
        this.badInput.warn('frame:unknown', () => `onFrame for camera ${describeId(cameraId)} without a started export: frame ignored`);
      } else if (camera.owner !== 'main') {
        this.badInput.warn(`owner:${camera.cameraId}`, () => `onFrame for camera ${camera.cameraId} while its FFmpeg tap writes the ring: frame ignored`);
      } else if (!(frame instanceof Uint8Array) || !ArrayBuffer.isView(frame)) {
        this.badInput.warn(`type:${camera.cameraId}`, () => `onFrame for camera ${camera.cameraId} with a ${typeof frame} that is not a Uint8Array: frame ignored`);
      } else {
        const { layout } = camera.ring;
        this.badInput.warn(`size:${camera.cameraId}`, () => `camera ${camera.cameraId}: frame of ${frame.length} bytes, expected ${layout.frameSize} ` +
          `(NV12 ${layout.width}x${layout.height}): dropped (counted in dropped_size_mismatch)`);
      }
    } catch {
      // reporting must never throw into VAS either
    }
  }

  private guard(cameraId: unknown, entry: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      try {
        this.logger.error(`${entry}(${describeId(cameraId)}): ${error instanceof Error ? error.message : typeof error}`);
      } catch {
        // a logger that throws: nothing more can be done without throwing into VAS
      }
    }
  }
}

/** A camera id as it can be shown in one log line, whatever value VAS passed. */
function describeId(cameraId: unknown): string {
  return typeof cameraId === 'string' ? JSON.stringify(cameraId.slice(0, 80)) : `<${typeof cameraId}>`;
}
