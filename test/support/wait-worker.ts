/**
 * Worker-thread side of test/integration/reader-wait.test.ts: opens a FrameReader and takes
 * `frames` frames with waitNext, counting its futex waits (a polling reader would make many
 * calls per frame; a futex reader about one). Posts { ids, futexWaits, timeouts }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LibC } from '../../src/ffi/libc';
import { FrameReader } from '../../src/reader/frame-reader';

const { dir, camera, frames } = workerData as { dir: string; camera: string; frames: number };
const reader = FrameReader.open(camera, { dir });
let futexWaits = 0;
const internals = reader as unknown as { libc: LibC };
const real = internals.libc;
internals.libc = new Proxy(real, {
  get(target, property, receiver) {
    if (property === 'futexWait') {
      return (address: number, expected: number, ms: number) => {
        futexWaits++;
        return target.futexWait(address, expected, ms);
      };
    }
    const value = Reflect.get(target, property, receiver) as unknown;
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  },
});
parentPort!.postMessage({ ready: true });
const ids: number[] = [];
let timeouts = 0;
while (ids.length < frames) {
  const frame = reader.waitNext(5000);
  if (frame === null) timeouts++;
  else ids.push(frame.meta.frameId);
  if (timeouts > 2) break;
}
parentPort!.postMessage({ ids, futexWaits, timeouts });
reader.close();
