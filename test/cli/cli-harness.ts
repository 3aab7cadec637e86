/**
 * Test harness for the vas-frames CLI: runs the compiled CLI as a separate process against real
 * exports in /dev/shm written in-process by the plugin hook.
 *
 * The CLI runs with an asynchronous spawn, not spawnSync: the writer's heartbeat timer and the
 * frame pumps live on this process's event loop, and blocking it would make the writer look dead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook, type Logger } from '../../plugin';

/** dist/test/cli -> dist/src/cli/vas-frames.js */
export const CLI_PATH = path.resolve(__dirname, '../../src/cli/vas-frames.js');
export const DIST_SRC = path.resolve(__dirname, '../../src');
export const DIST_PLUGIN = path.resolve(__dirname, '../../plugin');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
  readonly timeoutMs?: number;
}

/** The environment without AI_FRAME_EXPORT_DIR, so each test says which dir it means. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AI_FRAME_EXPORT_DIR;
  return env;
}

export function startCli(args: readonly string[], options: RunOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: options.env ?? baseEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

export const quietLogger: Logger = { info() {}, warn() {}, error() {} };

export function makeExportDir(): string {
  return fs.mkdtempSync('/dev/shm/vas-cli-test-');
}

export function makeHook(dir: string): DecodeBoundaryHook {
  return loadDecodeBoundaryHook(
    { AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_BUFFER_CAPACITY: '4' },
    quietLogger,
  );
}

export function nv12Size(width: number, height: number): number {
  return (width * height * 3) / 2;
}

/** Resolves with the first line the child prints on stdout; rejects if it exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(buffer)}`)), timeoutMs);
    const onData = (chunk: Buffer | string): void => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before printing ${pattern}; stdout ${JSON.stringify(buffer)}`));
    });
  });
}

export function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls `condition` until it is true or `timeoutMs` passes. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return condition();
}

/** Every expected error is exactly one `vas-frames: ...` line, never a stack trace. */
export function expectOneLineError(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${JSON.stringify(stderr)}`);
  const line = lines[0]!;
  if (!line.startsWith('vas-frames: ') || /\n\s+at /.test(stderr) || /\bat .*\.js:\d+/.test(stderr)) {
    throw new Error(`not a one-line vas-frames error: ${JSON.stringify(stderr)}`);
  }
  return line;
}
