import * as fs from 'node:fs';
import * as net from 'node:net';
import { parseSourceProbe } from './ffmpeg-tap-args';

const MAX_HEADER_BYTES = 256;

/**
 * Main thread, once per FFmpeg start: reads the source probe pipe (ffmpeg-tap-args.ts), hands
 * the camera's picture size to `found` (at most once), and discards the rest until FFmpeg closes
 * it. A few kilobytes in all, never per frame. Any failure just leaves the size unknown; the
 * pipe is always drained, never closed under FFmpeg. Never throws.
 */
export function readSourceProbe(fd: number, found: (width: number, height: number) => void): void {
  let header = '';
  let done = false;
  try {
    const socket = new net.Socket({ fd, readable: true, writable: false });
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      header += chunk.toString('latin1', 0, Math.min(chunk.length, MAX_HEADER_BYTES));
      const end = header.indexOf('\n');
      if (end < 0 && header.length < MAX_HEADER_BYTES) return;
      done = true;
      const geometry = parseSourceProbe(end < 0 ? header : header.slice(0, end));
      if (geometry !== null) {
        try {
          found(geometry.width, geometry.height);
        } catch {
          // the receiver's problem; the pipe is still drained
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.destroy());
    socket.unref();
  } catch {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
}
