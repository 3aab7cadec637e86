/**
 * The native side of the bench: bench/native/pipe-bench.c (producer, floor reader, rusage
 * wrapper), compiled with gcc when missing or older than its source, and the Python peer.
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

/** Drives a producer (pipe-bench feed) through its stdin and stdout. */
export class ProducerControl {
  private answers = 0;
  private waiting: (() => void) | null = null;
  private ended = false;

  constructor(private readonly stdin: Writable, stdout: Readable) {
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => {
      this.answers += chunk.split('k\n').length - 1;
      this.waiting?.();
    });
    stdout.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  /**
   * `frames` frames into every pipe, as fast as the readers take them or paced at `fps` from
   * `delayUs` on; resolves when the last byte is in the pipe.
   */
  async burst(frames: number, fps = 0, delayUs = 0): Promise<void> {
    const answer = this.answers + 1;
    this.stdin.write(`${frames} ${fps} ${Math.round(delayUs)}\n`);
    while (this.answers < answer) {
      if (this.ended) throw new Error('producer exited');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }

  end(): void {
    this.stdin.end();
  }
}
