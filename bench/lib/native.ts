/**
 * The native side of the bench: bench/native/pipe-bench.c (producer, floor reader, rusage
 * wrapper), compiled here with gcc when missing or older than its source, and the Python peer.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const PIPE_BENCH = path.join(ROOT, 'dist', 'bench', 'pipe-bench');
export const PEER_PY = path.join(ROOT, 'bench', 'native', 'peer.py');
export const PYTHON = '/usr/bin/python3';

export function buildPipeBench(): string {
  const source = path.join(ROOT, 'bench', 'native', 'pipe-bench.c');
  if (!fs.existsSync(PIPE_BENCH) || fs.statSync(PIPE_BENCH).mtimeMs < fs.statSync(source).mtimeMs) {
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', PIPE_BENCH, source], { stdio: 'inherit' });
  }
  return PIPE_BENCH;
}

/** The line protocol of a producer (pipe-bench feed/rate) over its stdin and stdout. */
export class ProducerControl {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;

  constructor(private readonly stdin: Writable, stdout: Readable) {
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let end = this.buffered.indexOf('\n'); end >= 0; end = this.buffered.indexOf('\n')) {
        this.lines.push(this.buffered.slice(0, end));
        this.buffered = this.buffered.slice(end + 1);
      }
      this.wake();
    });
    stdout.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  send(line: string): void {
    this.stdin.write(`${line}\n`);
  }

  /** The next line from the producer. */
  async next(timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error('producer exited');
      if (Date.now() > deadline) throw new Error(`producer: no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 1000);
      });
    }
    return this.lines.shift()!;
  }

  /**
   * Writes `frames` frames to every pipe, as fast as the readers take them or paced at `fps`
   * from `delayUs` on; resolves when the last byte is in the pipe.
   */
  async burst(frames: number, fps = 0, delayUs = 0): Promise<void> {
    this.send(`${frames} ${fps} ${Math.round(delayUs)}`);
    if ((await this.next()) !== 'k') throw new Error('producer: unexpected answer');
  }

  end(): void {
    this.stdin.end();
  }
}
