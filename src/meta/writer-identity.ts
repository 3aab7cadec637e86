import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';

/** Who writes an export, and the generation value of a new one. Replaceable in tests. */
export interface WriterIdentity {
  pid(): number;
  /** Inode of /proc/self/ns/pid, 0 if unknown. */
  pidNamespace(): number;
  /** A new random non-zero u64 as [low, high]. */
  newGeneration(): [number, number];
}

export class ProcessWriterIdentity implements WriterIdentity {
  pid(): number {
    return process.pid;
  }

  pidNamespace(): number {
    try {
      return statSync('/proc/self/ns/pid').ino;
    } catch {
      return 0;
    }
  }

  newGeneration(): [number, number] {
    for (;;) {
      const bytes = randomBytes(8);
      const low = bytes.readUInt32LE(0);
      const high = bytes.readUInt32LE(4);
      if (low !== 0 || high !== 0) return [low, high];
    }
  }
}
