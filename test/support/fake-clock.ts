import { storeTimespecNs, type FrameClock } from '../../src/clock/frame-clock';
import type { WriterIdentity } from '../../src/meta/writer-identity';

/** A clock the test moves by hand: monotonic starts at 1000 s, realtime at 1.7e9 s. */
export class FakeClock implements FrameClock {
  monotonicSec = 1000;
  realtimeSec = 1_700_000_000;
  nsec = 0;

  advance(ns: number): void {
    this.nsec += ns;
    while (this.nsec >= 1e9) {
      this.nsec -= 1e9;
      this.monotonicSec++;
      this.realtimeSec++;
    }
  }

  monotonicInto(target: Int32Array, index: number): void {
    storeTimespecNs(this.monotonicSec, this.nsec, target, index);
  }

  realtimeInto(target: Int32Array, index: number): void {
    storeTimespecNs(this.realtimeSec, this.nsec, target, index);
  }
}

/** Fixed pid, namespace and generations (1, 2, 3, ...) for reproducible meta bytes. */
export class FixedWriterIdentity implements WriterIdentity {
  private next = 1;

  constructor(private readonly fixedPid = 4242, private readonly namespace = 4026531836) {}

  pid(): number {
    return this.fixedPid;
  }

  pidNamespace(): number {
    return this.namespace;
  }

  newGeneration(): [number, number] {
    return [this.next++, 0x5a5a0000];
  }
}
