import type { LibC } from '../ffi/libc';
import { Header } from '../layout/frame-export-layout';

/** Wakes the readers blocked on an export's futex word (format spec 5.4). */
export interface CommitWaker {
  wake(): void;
}

/** For rings without a process address (the unit tests' in-memory stub): nobody can wait. */
export const NO_WAKER: CommitWaker = Object.freeze({ wake(): void {} });

/**
 * FUTEX_WAKE on `notify_seq` of a mapped frame.meta: one non-blocking syscall per commit, with
 * no waiter or with many. Its result is ignored: a reader that cannot be woken re-checks on its
 * own at least every WAIT_RECHECK_MS, and nothing here may ever wait or throw into the writer.
 */
export class FutexWaker implements CommitWaker {
  private readonly address: number;

  constructor(private readonly libc: LibC, metaAddress: number) {
    this.address = metaAddress + Header.NOTIFY_SEQ;
  }

  wake(): void {
    this.libc.futexWake(this.address);
  }
}

export function wakerFor(libc: LibC, metaAddress: number): CommitWaker {
  return metaAddress === 0 ? NO_WAKER : new FutexWaker(libc, metaAddress);
}
