import * as fs from 'node:fs';
import * as net from 'node:net';

/**
 * Main thread: reads and discards a tap pipe until FFmpeg closes it, then closes our fd. The
 * last resort when the tap thread cannot drain it (it failed to start or to attach, or it
 * died): FFmpeg must never block on a full pipe (RTP and HLS would stall with it) nor get
 * EPIPE from a closed one (it would exit). libuv reads the pipe in the background; nothing is
 * kept. Never throws.
 */
export function discardUntilEnd(fd: number): void {
  try {
    const sink = new net.Socket({ fd, readable: true, writable: false });
    sink.on('error', () => sink.destroy());
    sink.on('end', () => sink.destroy());
    sink.resume();
    // A sink must not keep a VAS that is shutting down alive; while VAS runs, its loop runs.
    sink.unref();
  } catch {
    // Not a pipe libuv can watch (it never is otherwise): closing is all that is left.
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
}
