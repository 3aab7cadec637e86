/**
 * A host's cameras fed by the synthetic feeder (bench/feeder.ts): the hook's tap output for
 * camera i is placed at child fd 3 + i, exactly as VAS places it after its own stdio, then the
 * feeder is spawned once for all cameras and announced to the hook per camera.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { DecodeBoundaryHook } from '../../plugin/index';
import type { FeederMessage } from '../feeder';

export class FeederHandle {
  private readonly queue: FeederMessage[] = [];
  private waiter: ((message: FeederMessage) => void) | null = null;
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FeederMessage) => {
      if (this.waiter !== null) {
        const waiter = this.waiter;
        this.waiter = null;
        waiter(message);
      } else {
        this.queue.push(message);
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** The next message, which must be of this type. */
  async next<T extends FeederMessage['type']>(type: T, timeoutMs = 60_000): Promise<Extract<FeederMessage, { type: T }>> {
    const message = this.queue.shift() ?? await new Promise<FeederMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`feeder: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = (received) => {
        clearTimeout(timer);
        resolve(received);
      };
    });
    if (message.type !== type) throw new Error(`feeder: expected '${type}', got '${message.type}'`);
    return message as Extract<FeederMessage, { type: T }>;
  }

  send(message: { type: string; frames?: number }): void {
    this.child.send(message);
  }
}

export interface FeederOptions {
  readonly mode: 'burst' | 'count' | 'rate';
  readonly width: number;
  readonly height: number;
  readonly frames?: number;
  readonly fps?: number;
  readonly warmupMs?: number;
  readonly windowMs?: number;
  readonly out?: string;
}

/**
 * ffmpegOutput for every camera, one feeder for all of them, onProcessSpawned for every camera.
 * With export off (NOOP_HOOK) the tap adds nothing and the feeder gets no pipe.
 */
export function startFeeder(hook: DecodeBoundaryHook, cameraIds: readonly string[], options: FeederOptions): FeederHandle {
  const stdio: Array<'ignore' | 'inherit' | 'ipc' | number> = ['ignore', 'inherit', 'inherit'];
  for (const id of cameraIds) {
    const tap = hook.ffmpegOutput(id, stdio.length);
    stdio.push(...tap.stdio);
  }
  const pipes = stdio.length - 3;
  if (pipes !== 0 && pipes !== cameraIds.length) throw new Error(`expected ${cameraIds.length} tap pipes, got ${pipes}`);
  stdio.push('ipc');
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'feeder.js'), JSON.stringify({ ...options, cameras: pipes })], { stdio });
  for (const id of cameraIds) hook.onProcessSpawned(id, child);
  return new FeederHandle(child);
}
