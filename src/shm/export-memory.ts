import type { ExportLayout } from '../layout/frame-export-layout';

/** The memory of one camera's export: frame.meta and frame.data, mapped read-write. */
export interface ExportMemory {
  readonly cameraId: string;
  readonly meta: ArrayBuffer;
  readonly data: Uint8Array;
  /** Process addresses of the mappings, for the tap thread's reads; 0 where not mapped (stub). */
  readonly metaAddress: number;
  readonly dataAddress: number;
  readonly layout: ExportLayout;
}

/**
 * Creates, publishes and removes exports. The real store maps files under the export dir; the
 * unit tests register an in-memory stub under the same token.
 */
export interface SharedMemoryStore {
  /**
   * Creates the camera's export, lets `initialize` write the header, then publishes it
   * atomically, replacing a stale export of the same camera. Throws ExportError.
   */
  create(cameraId: string, layout: ExportLayout, initialize: (memory: ExportMemory) => void): ExportMemory;
  /** Removes the camera's files: no reader can open them any more. Mappings stay valid. */
  unpublish(memory: ExportMemory): void;
  /** Unmaps and closes. No access to the memory after this, from any thread. */
  release(memory: ExportMemory): void;
}

/** An expected failure with a one-line message that names what and why (never a stack). */
export class ExportError extends Error {
  override readonly name = 'ExportError';
}
