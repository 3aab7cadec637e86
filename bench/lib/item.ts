/**
 * Plumbing between the bench runner and one measurement, which runs in a child process of its
 * own (a fresh heap, a fresh JIT, no tap thread left over from another item).
 *
 * The runner forks `dist/bench/<item>.js '<params json>'` with an IPC channel; the item sends
 * progress lines and, last, its result. Nothing is printed on stdout.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../src/log/logger';

type ItemMessage =
  | { readonly type: 'progress'; readonly text: string }
  | { readonly type: 'result'; readonly result: unknown }
  | { readonly type: 'failed'; readonly message: string };

export function progress(text: string): void {
  if (process.send !== undefined) process.send({ type: 'progress', text } satisfies ItemMessage);
  else process.stderr.write(`${text}\n`);
}

/** Runs an item's main with the params from argv[2]; sends the result and exits. */
export function runItem<P, R>(main: (params: P) => Promise<R>): void {
  const params = JSON.parse(process.argv[2] ?? '{}') as P;
  main(params).then(
    (result) => send({ type: 'result', result }, 0),
    (error: unknown) => send({ type: 'failed', message: (error as Error)?.stack ?? String(error) }, 1),
  );
}

function send(message: ItemMessage, code: number): void {
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
    process.exit(code);
  }
  process.send(message, () => process.exit(code));
}

/** Forks an item script and resolves with its result. */
export function runChild<R>(script: string, params: unknown, options: {
  readonly execArgv?: readonly string[];
  readonly onProgress?: (text: string) => void;
  readonly timeoutMs?: number;
} = {}): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify(params)], { execArgv: [...(options.execArgv ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const name = path.basename(script);
    const settle = (error: Error | null, result?: unknown): void => {
      clearTimeout(timer);
      child.removeAllListeners();
      if (error !== null) reject(error);
      else resolve(result as R);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(new Error(`${name} timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 600_000);
    child.on('message', (message: ItemMessage) => {
      if (message.type === 'progress') options.onProgress?.(message.text);
      else if (message.type === 'result') settle(null, message.result);
      else settle(new Error(`${name} failed: ${message.message}`));
    });
    child.on('exit', (code, signal) => settle(new Error(`${name} exited (code ${code}, signal ${signal}) without a result`)));
  });
}

/** A fresh export dir under /dev/shm, removed by the caller (or on exit). */
export function makeExportDir(label: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, `vas-bench-${label}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Keeps the plugin's log lines (it logs to stderr by default; the bench keeps stderr for progress). */
export class BenchLogger implements Logger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info: ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
    process.stderr.write(`[vas-frame-export] error: ${message}\n`);
  }
}

/** Environment for the live hook. */
export function liveEnv(dir: string, width: number, height: number, ffi: 'koffi' | 'ffi-rs' = 'koffi'): Record<string, string> {
  return { AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_WIDTH: String(width), AI_FRAME_HEIGHT: String(height), AI_FRAME_EXPORT_FFI: ffi };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `test()` is true (checked every `everyMs`), rejects after `timeoutMs`. */
export async function waitFor(test: () => boolean, what: string, timeoutMs = 10_000, everyMs = 1): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const GEOMETRY = {
  '1080p': { width: 1920, height: 1080 },
  '720p': { width: 1280, height: 720 },
} as const;
