import type { MessagePort } from 'node:worker_threads';
import type { FfiBackend } from '../config/frame-export-config';
import type { ExportLayout } from '../layout/frame-export-layout';

/** Main thread -> tap thread, through a MessagePort read synchronously after a wake byte. */
export type TapCommand =
  | {
    readonly type: 'attach';
    readonly tapId: number;
    readonly cameraId: string;
    /** The tap thread's own duplicate of the pipe's read end: it closes it, never the main thread's. */
    readonly fd: number;
    readonly metaAddress: number;
    readonly dataAddress: number;
    readonly layout: ExportLayout;
  }
  | { readonly type: 'detach'; readonly tapId: number }
  | { readonly type: 'shutdown' };

/** Tap thread -> main thread, on the worker's parent port (asynchronous, off the frame path). */
export type TapEvent =
  /**
   * The tap thread no longer touches the export's memory. `reason`: why the stream ended, or null
   * after a requested detach. `pipeClosed`: it also closed its pipe fd (end of stream).
   */
  | { readonly type: 'released'; readonly tapId: number; readonly reason: string | null; readonly pipeClosed: boolean }
  /** A released pipe reached end of stream and the tap thread closed its fd. */
  | { readonly type: 'closed'; readonly tapId: number }
  /** Attaching failed; the tap thread holds nothing of this camera (memory untouched, fd closed). */
  | { readonly type: 'attach-failed'; readonly tapId: number; readonly reason: string }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'error'; readonly message: string };

export interface TapWorkerData {
  readonly ffi: FfiBackend;
  readonly wakeFd: number;
  readonly commands: MessagePort;
}
