import type { ExportLayout } from '../../src/layout/frame-export-layout';
import type { ExportMemory, SharedMemoryStore } from '../../src/shm/export-memory';

/**
 * The stubbed shared memory of the unit tests: plain ArrayBuffers, no files, no mmap. Registered
 * under TOKENS.SharedMemory in place of FileShmStore. Records what happened for assertions.
 */
export class MemoryShmStore implements SharedMemoryStore {
  readonly published = new Map<string, ExportMemory>();
  readonly released: ExportMemory[] = [];
  created = 0;

  create(cameraId: string, layout: ExportLayout, initialize: (memory: ExportMemory) => void): ExportMemory {
    const memory: ExportMemory = {
      cameraId,
      layout,
      meta: new ArrayBuffer(layout.metaFileSize),
      data: new Uint8Array(layout.dataFileSize),
      metaAddress: 0,
      dataAddress: 0,
    };
    initialize(memory);
    this.created++;
    this.published.set(cameraId, memory);
    return memory;
  }

  unpublish(memory: ExportMemory): void {
    if (this.published.get(memory.cameraId) === memory) this.published.delete(memory.cameraId);
  }

  release(memory: ExportMemory): void {
    this.released.push(memory);
  }
}
