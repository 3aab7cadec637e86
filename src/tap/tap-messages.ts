import type { MessagePort } from 'node:worker_threads';
import type { FfiBackend } from '../config/frame-export-config';
import type { ExportLayout } from '../layout/frame-export-layout';

/** Main thread -> tap thread, through a MessagePort read synchronously after a wake byte. */
export type TapCommand =
  | {
    readonly type: 'attach';
    readonly tapId: number;
    readonly cameraId: string;
    readonly fd: number;
    readonly metaAddress: number;
    readonly dataAddress: number;
    readonly layout: ExportLayout;
  }
  | { readonly type: 'detach'; readonly tapId: number }
  | { readonly type: 'shutdown' };

/** Tap thread -> main thread, on the worker's parent port (asynchronous, off the frame path). */
export type TapEvent =
  | { readonly type: 'ended'; readonly tapId: number; readonly reason: string }
  | { readonly type: 'detached'; readonly tapId: number }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'error'; readonly message: string };

export interface TapWorkerData {
  readonly ffi: FfiBackend;
  readonly wakeFd: number;
  readonly commands: MessagePort;
}
