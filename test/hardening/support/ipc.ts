/**
 * Request/response over a forked child's IPC channel, both sides.
 *
 * Parent: `const child = NodeChild.fork(script)`, `await child.call('op', args)`. A crash of the
 * child (signal or exit) rejects pending calls and resolves `child.exited` with code and signal,
 * so a SIGBUS or SIGSEGV in the writer shows up as data, never as a dead mocha.
 *
 * Child: `serve({ op: (args) => result })`. The child exits when the parent goes away.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Request {
  readonly id: number;
  readonly op: string;
  readonly args: unknown;
}

interface Response {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

export interface ForkOptions {
  readonly uid?: number;
  readonly gid?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: readonly string[];
}

export class NodeChild {
  readonly exited: Promise<ChildExit>;
  exit: ChildExit | null = null;
  stderr = '';
  stdout = '';
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  private constructor(readonly proc: ChildProcess, readonly script: string) {
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    proc.on('message', (message: Response) => {
      const waiter = this.pending.get(message.id);
      if (waiter === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${script}: ${message.error}`));
    });
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        for (const [, waiter] of this.pending) {
          waiter.reject(new Error(`${script} exited (code ${code}, signal ${signal}) during a call; stderr: ${this.stderr.slice(-2000)}`));
        }
        this.pending.clear();
        resolve(this.exit);
      });
    });
  }

  static fork(script: string, options: ForkOptions = {}): NodeChild {
    const proc = fork(script, [...(options.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: options.env ?? process.env,
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    return new NodeChild(proc, script);
  }

  /**
   * Runs `node script` under a wrapper command (for example `unshare --pid --fork --kill-child`);
   * the IPC channel passes through the wrapper as an inherited descriptor.
   */
  static spawnWrapped(wrapper: readonly string[], script: string): NodeChild {
    const proc = spawn(wrapper[0]!, [...wrapper.slice(1), process.execPath, script], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new NodeChild(proc, script);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  call<T = unknown>(op: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exit !== null) return Promise.reject(new Error(`${this.script} already exited (${JSON.stringify(this.exit)})`));
    const id = this.nextId++;
    const request: Request = { id, op, args };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.script}: ${op} did not answer within ${timeoutMs} ms`));
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
      this.proc.send(request);
    });
  }

  /** Sends a signal if still running. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exit === null) this.proc.kill(signal);
  }

  /** Kills (SIGKILL) and waits for the exit. */
  async dispose(): Promise<ChildExit> {
    this.kill('SIGKILL');
    return this.exited;
  }
}

export type Handlers = Record<string, (args: any) => unknown>;

/** Child side: answers requests with the handlers' results (sync or async). */
export function serve(handlers: Handlers): void {
  process.on('message', (request: Request) => {
    void (async () => {
      let response: Response;
      try {
        const handler = handlers[request.op];
        if (handler === undefined) throw new Error(`unknown op ${request.op}`);
        response = { id: request.id, ok: true, result: await handler(request.args) };
      } catch (error) {
        response = { id: request.id, ok: false, error: (error as Error)?.stack ?? String(error) };
      }
      process.send!(response);
    })();
  });
  process.on('disconnect', () => process.exit(0));
}
