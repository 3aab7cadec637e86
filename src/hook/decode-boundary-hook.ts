import type { FrameGeometry } from '../layout/frame-export-layout';
import type { Frame } from '../meta/frame-meta';

/** What the FFmpeg raw-frame tap adds to VAS's FFmpeg invocation. Both empty when disabled. */
export interface FfmpegTapOutput {
  /** Extra output arguments, appended after VAS's own outputs. */
  readonly args: readonly string[];
  /** Extra stdio entries, appended after VAS's own stdio array (child fd = its index). */
  readonly stdio: readonly number[];
}

/** The part of a ChildProcess the hook needs: its pid and its exit. */
export interface SpawnedProcess {
  readonly pid?: number | undefined;
  once(event: 'exit', listener: (...args: unknown[]) => void): unknown;
}

/**
 * The decode-boundary hook VAS calls. Every method returns quickly, never throws and never
 * waits for a reader. With AI_FRAME_EXPORT_ENABLED off, VAS holds NOOP_HOOK, whose methods do
 * nothing and allocate nothing.
 */
export interface DecodeBoundaryHook {
  /** A camera's stream starts: create its ring and export for frames of this geometry. */
  onStreamStart(cameraId: string, geometry: FrameGeometry): void;
  /** One whole NV12 frame decoded in-process (copied once into the ring). */
  onFrame(cameraId: string, frame: Uint8Array): void;
  /** The stream stops: remove its export and release its memory. */
  onStreamStop(cameraId: string): void;
  /**
   * Before VAS spawns FFmpeg for a camera: the raw-frame branch to add. `firstFreeFd` is the
   * length of VAS's own stdio array, so the tap pipe becomes that child fd. Starts the
   * camera's export at the configured AI geometry (a restart gets a new generation).
   */
  ffmpegOutput(cameraId: string, firstFreeFd: number): FfmpegTapOutput;
  /** After spawn: the tap starts draining the pipe, off VAS's event loop. */
  onProcessSpawned(cameraId: string, child: SpawnedProcess): void;
  /** Phase 1 observers: read-only access to a camera's latest frame, or null. */
  latestFrame(cameraId: string): Frame | null;
  /** Stops every export (VAS shutdown). */
  close(): void;
}
