/**
 * Test side of reader-process.ts: starts reader processes and collects what they report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLine, ReaderLine, StatusLine } from './reader-process';

const READER_SCRIPT = path.join(__dirname, 'reader-process.js');

/** CLOCK_MONOTONIC in ms, as the reader processes and the host report it. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every 20 ms until it returns something other than undefined. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined, detail?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(20);
  }
}

function spawnReader(args: string[]): ChildProcess {
  return spawn(process.execPath, [READER_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

function onLines(child: ChildProcess, sink: (line: ReaderLine) => void, stderr: { text: string }): void {
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('{')) sink(JSON.parse(line) as ReaderLine);
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr.text = (stderr.text + chunk).slice(-8000);
  });
}

function waitReady(child: ChildProcess, ready: () => boolean, stderr: { text: string }, timeoutMs: number): Promise<void> {
  return waitFor('reader process ready', timeoutMs, () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`reader exited (${child.exitCode ?? child.signalCode}): ${stderr.text}`);
    return ready() ? true : undefined;
  }).then(() => undefined);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Export files (frame.meta, frame.data) under `dir` that process `pid` has mapped now. */
export function mappedExportFiles(pid: number, dir: string): string[] {
  const files = new Set<string>();
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const file = line.split(/\s+/).slice(5).join(' ');
    if (file.startsWith(dir + path.sep)) files.add(file);
  }
  return [...files].sort();
}

/** A watching reader process: every frame of every camera it saw, and status changes. */
export class WatchReader {
  readonly frames = new Map<string, FrameLine[]>();
  readonly statuses = new Map<string, StatusLine[]>();
  private readonly stderr = { text: '' };
  private ready = false;

  private constructor(readonly child: ChildProcess) {}

  static async start(dir: string, cameras: readonly string[]): Promise<WatchReader> {
    const reader = new WatchReader(spawnReader(['watch', dir, ...cameras]));
    for (const cam of cameras) {
      reader.frames.set(cam, []);
      reader.statuses.set(cam, []);
    }
    onLines(reader.child, (line) => reader.onLine(line), reader.stderr);
    await waitReady(reader.child, () => reader.ready, reader.stderr, 20_000);
    return reader;
  }

  get stderrText(): string {
    return this.stderr.text;
  }

  framesOf(cam: string): FrameLine[] {
    return this.frames.get(cam)!;
  }

  lastFrame(cam: string): FrameLine | undefined {
    const list = this.framesOf(cam);
    return list[list.length - 1];
  }

  /** Frames seen (reader's time) within [fromMs, toMs]. */
  framesBetween(cam: string, fromMs: number, toMs: number): FrameLine[] {
    return this.framesOf(cam).filter((f) => f.t >= fromMs && f.t <= toMs);
  }

  statusesOf(cam: string): StatusLine[] {
    return this.statuses.get(cam)!;
  }

  /** Waits for a frame of `cam` matching `predicate`, seen at or after `sinceMs`. */
  waitForFrame(cam: string, timeoutMs: number, predicate: (f: FrameLine) => boolean = () => true, sinceMs = -Infinity): Promise<FrameLine> {
    return waitFor(`a frame of ${cam}`, timeoutMs,
      () => this.framesOf(cam).find((f) => f.t >= sinceMs && predicate(f)),
      () => `last frame ${JSON.stringify(this.lastFrame(cam))}; reader stderr ${this.stderr.text}`);
  }

  /** Waits for `cam` to report `status` at or after `sinceMs`. */
  waitForStatus(cam: string, status: string, timeoutMs: number, sinceMs = -Infinity): Promise<StatusLine> {
    return waitFor(`status ${status} of ${cam}`, timeoutMs,
      () => this.statusesOf(cam).find((s) => s.t >= sinceMs && s.status === status),
      () => `statuses ${JSON.stringify(this.statusesOf(cam).slice(-5))}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await exited(this.child);
  }

  private onLine(line: ReaderLine): void {
    if (line.k === 'ready') this.ready = true;
    else if (line.k === 'f') this.frames.get(line.cam)?.push(line);
    else this.statuses.get(line.cam)?.push(line);
  }
}

/** A reader process that reads in a tight loop (to be stopped or killed mid-read). */
export class SpinReader {
  private readonly stderr = { text: '' };
  private ready = false;

  private constructor(readonly child: ChildProcess) {}

  static async start(dir: string, cam: string): Promise<SpinReader> {
    const reader = new SpinReader(spawnReader(['spin', dir, cam]));
    onLines(reader.child, (line) => {
      if (line.k === 'ready') reader.ready = true;
    }, reader.stderr);
    await waitReady(reader.child, () => reader.ready, reader.stderr, 20_000);
    return reader;
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      try {
        process.kill(this.pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await exited(this.child);
  }

  exited(): Promise<void> {
    return exited(this.child);
  }
}
