/**
 * Test side of host-process.ts: spawns the reference VAS host (patched or not) as a child with
 * a given environment and calls its RtspPipeline over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { HostCamera, HostSpawnRecord } from '../../fixtures/vas-host';
import type { HostMessage, HostRequest, LoadedModules } from './host-process';

const HOST_SCRIPT = path.join(__dirname, 'host-process.js');

/** Environment of the host: the test's own, without any AI_FRAME_* it may carry, plus `env`. */
export function hostEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AI_FRAME_')) out[key] = value;
  return { ...out, ...env };
}

export interface HostOptions {
  /** RtspPipelineOptions.hlsTimeSeconds (default: upstream's 6). */
  readonly hlsTimeSeconds?: number;
  /** Patched only: allow killTapThread() (see host-process.ts). */
  readonly exposeHook?: boolean;
  /** The FFmpeg binary the host runs (RtspPipelineOptions.ffmpegPath). Default: ffmpeg on PATH. */
  readonly ffmpegPath?: string;
  /** Ready timeout. Default 60 s. */
  readonly timeoutMs?: number;
}

type Request = HostRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A running host process. */
export class HostProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private output = '';
  private exited = false;

  private constructor(readonly child: ChildProcess, readonly pid: number, readonly dir: string) {}

  /**
   * Starts the host with exactly `env` for AI_FRAME_* (nothing inherited), waits until its
   * module is loaded (the patched one has called loadDecodeBoundaryHook by then).
   */
  static async spawn(patched: boolean, env: Record<string, string>, options: HostOptions = {}): Promise<HostProcess> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const args = [patched ? 'patched' : 'unpatched'];
    if (options.hlsTimeSeconds !== undefined) args.push('--hls-time', String(options.hlsTimeSeconds));
    if (options.exposeHook) args.push('--expose-hook');
    if (options.ffmpegPath !== undefined) args.push('--ffmpeg', options.ffmpegPath);
    const child = fork(HOST_SCRIPT, args, {
      env: hostEnv(env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let early = '';
    const collect = (chunk: Buffer): void => {
      early = (early + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const ready = await new Promise<Extract<HostMessage, { type: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`host not ready within ${timeoutMs} ms: ${early}`)), timeoutMs);
      child.on('message', function onMessage(message: HostMessage) {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`host exited (${code ?? signal}) before ready: ${early}`));
      });
    });
    const host = new HostProcess(child, ready.pid, ready.dir);
    host.output = early;
    child.stdout!.off('data', collect);
    child.stderr!.off('data', collect);
    const keep = (chunk: Buffer): void => {
      host.output = (host.output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('message', (message: HostMessage) => host.onMessage(message));
    child.once('exit', (code, signal) => {
      host.exited = true;
      for (const waiter of host.pending.values()) waiter.reject(new Error(`host exited (${code ?? signal}): ${host.output}`));
      host.pending.clear();
    });
    return host;
  }

  /** The host's stdout and stderr so far (the plugin logs there). */
  get log(): string {
    return this.output;
  }

  call<T>(request: Request, timeoutMs = 30_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`host has exited: ${this.output}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`host did not answer ${JSON.stringify(request)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...request, id });
    });
  }

  /** pipeline.start; resolves with the host's CLOCK_MONOTONIC (ns) just before the call. */
  async start(camera: HostCamera): Promise<{ startedNs: bigint; pid: number | undefined }> {
    const reply = await this.call<{ startedNs: string; pid: number | undefined }>({ op: 'start', camera });
    return { startedNs: BigInt(reply.startedNs), pid: reply.pid };
  }

  async stop(cameraId: string): Promise<void> {
    await this.call({ op: 'stop', cameraId });
  }

  async stopAll(): Promise<void> {
    await this.call({ op: 'stopAll' });
  }

  lastSpawn(cameraId: string): Promise<HostSpawnRecord | null> {
    return this.call({ op: 'lastSpawn', cameraId });
  }

  isRunning(cameraId: string): Promise<boolean> {
    return this.call({ op: 'isRunning', cameraId });
  }

  stderrTail(cameraId: string): Promise<string> {
    return this.call({ op: 'stderrTail', cameraId });
  }

  /** Busy-loops the host's main thread for `ms`; resolves when it is free again. */
  async busy(ms: number): Promise<{ startedNs: bigint; endedNs: bigint }> {
    const reply = await this.call<{ startedNs: string; endedNs: string }>({ op: 'busy', ms }, ms + 30_000);
    return { startedNs: BigInt(reply.startedNs), endedNs: BigInt(reply.endedNs) };
  }

  /** Ends the patched host's tap thread (needs exposeHook and a running camera). */
  async killTapThread(): Promise<void> {
    await this.call({ op: 'killTapThread' });
  }

  modules(): Promise<LoadedModules> {
    return this.call({ op: 'modules' });
  }

  /** stopAll, then the host removes its copy and exits. Safe to call twice. */
  async close(timeoutMs = 20_000): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      await this.stopAll().catch(() => undefined);
      if (this.child.connected) this.child.disconnect();
      await exit;
    } finally {
      clearTimeout(timer);
    }
  }

  private onMessage(message: HostMessage): void {
    if (message.type !== 'reply') return;
    const waiter = this.pending.get(message.id);
    if (waiter === undefined) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`host: ${message.error}`));
  }
}
