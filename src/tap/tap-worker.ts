/**
 * The tap thread: one worker thread drains every camera's FFmpeg pipe into its ring, so VAS's
 * event loop never touches a frame and may stall without slowing decode.
 *
 * One thread for all cameras: a frame costs one read(2) copy at memory speed (about 1 ms for
 * 1080p on this machine class), so one thread keeps up with dozens of cameras, and a thread per
 * camera would only add memory and scheduling. The loop is synchronous: poll(2) over the pipes
 * and a wake pipe, never returning to the worker's event loop, so no JS object is created per
 * frame. Commands arrive on a MessagePort read with receiveMessageOnPort after a wake byte.
 *
 * FFmpeg is never back-pressured by a reader: readers never talk to this thread. FFmpeg waits
 * only if this thread falls a whole pipe buffer (enlarged to up to one frame) behind.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import * as fs from 'node:fs';
import { LibcFrameClock } from '../clock/frame-clock';
import { F_GETFL, F_SETFL, F_SETPIPE_SZ, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLNVAL } from '../ffi/libc';
import { loadLibC } from '../ffi/load-libc';
import { HEARTBEAT_INTERVAL_MS } from '../layout/frame-export-layout';
import { MetaView } from '../meta/meta-view';
import { FrameRing } from '../ring/frame-ring';
import type { TapCommand, TapEvent, TapWorkerData } from './tap-messages';
import { PipeDrainer, type DrainResult } from './pipe-drainer';
import { wakerFor } from '../ring/futex-waker';

const data = workerData as TapWorkerData;
const libc = loadLibC(data.ffi);
const clock = new LibcFrameClock(libc);
const READY = POLLIN | POLLHUP | POLLERR | POLLNVAL;
const TICK_MS = Math.floor(HEARTBEAT_INTERVAL_MS / 2);
const MAX_PIPE_BYTES = readPipeMaxSize();

const drainers: PipeDrainer[] = [];
/** struct pollfd { int fd; short events; short revents; } as Int32 pairs; entry 0 is the wake pipe. */
let pollFds = new Int32Array(2 * 8);
const wakeBuffer = Buffer.alloc(64);
const now = new Int32Array(2);
let lastHeartbeatMs = 0;
let running = true;

function send(event: TapEvent): void {
  parentPort!.postMessage(event);
}

function readPipeMaxSize(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/fs/pipe-max-size', 'utf8').trim());
  } catch {
    return 1 << 20;
  }
}

function monotonicMs(): number {
  clock.monotonicInto(now, 0);
  return ((now[0]! >>> 0) + (now[1]! >>> 0) * 4294967296) / 1e6;
}

function rebuildPollSet(): void {
  if (pollFds.length < 2 * (drainers.length + 1)) pollFds = new Int32Array(4 * (drainers.length + 1));
  pollFds[0] = data.wakeFd;
  pollFds[1] = POLLIN;
  for (let index = 0; index < drainers.length; index++) {
    pollFds[2 * (index + 1)] = drainers[index]!.fd;
    pollFds[2 * (index + 1) + 1] = POLLIN;
  }
}

/**
 * Takes a camera's pipe and memory. Any failure (a mapping view, fcntl) affects this camera only:
 * its fd is closed (the main thread keeps and drains its own copy) and the main thread hears why.
 */
function attach(command: Extract<TapCommand, { type: 'attach' }>): void {
  const { layout } = command;
  try {
    const meta = new MetaView(libc.view(command.metaAddress, layout.metaFileSize));
    const ring = new FrameRing(meta, new Uint8Array(libc.view(command.dataAddress, layout.dataFileSize)), layout, clock,
      wakerFor(libc, command.metaAddress));
    // Non-blocking on our end only (O_NONBLOCK belongs to this open file description, not to
    // FFmpeg's write end). A pipe buffer of up to one frame lets FFmpeg write a whole frame
    // without waiting for this thread.
    const flags = libc.fcntl(command.fd, F_GETFL, 0);
    if (flags < 0 || libc.fcntl(command.fd, F_SETFL, flags | O_NONBLOCK) < 0) throw new Error(`fcntl(O_NONBLOCK) failed: errno ${-flags}`);
    const wanted = Math.min(layout.frameSize, MAX_PIPE_BYTES);
    const granted = libc.fcntl(command.fd, F_SETPIPE_SZ, wanted);
    if (granted < wanted) {
      send({ type: 'warning', message: `camera ${command.cameraId}: could not enlarge the tap pipe to ${wanted} bytes (` +
        `${granted < 0 ? `errno ${-granted}` : `got ${granted}`}); FFmpeg may wait on it if this thread falls behind` });
    }
    drainers.push(new PipeDrainer(command.tapId, command.fd, ring, command.dataAddress, libc));
  } catch (error) {
    closeQuietly(command.fd);
    send({ type: 'attach-failed', tapId: command.tapId, reason: describeError(error) });
    return;
  }
  rebuildPollSet();
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The pipe reached its end: the tap thread's fd goes; the main thread closes its own copy. */
function remove(index: number): PipeDrainer {
  const [drainer] = drainers.splice(index, 1);
  drainer!.closeFrame();
  closeQuietly(drainer!.fd);
  rebuildPollSet();
  return drainer!;
}

/** The export is stopped: let go of its memory at once, but keep the pipe drained until EOF. */
function detach(tapId: number): void {
  drainers.find((drainer) => drainer.tapId === tapId && !drainer.discarding)?.releaseRing();
  send({ type: 'released', tapId, reason: null, pipeClosed: false });
}

const discardBuffer = Buffer.alloc(1 << 16);

/** Reads and drops what the pipe holds; only for stopped exports whose FFmpeg still writes. */
function discardAvailable(fd: number): 'open' | 'ended' {
  for (;;) {
    try {
      if (fs.readSync(fd, discardBuffer) === 0) return 'ended';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return 'open';
      if (code !== 'EINTR') return 'ended';
    }
  }
}

function handleCommands(): void {
  try {
    while (fs.readSync(data.wakeFd, wakeBuffer) > 0) {
      // drain wake bytes; one is enough to look at the port
    }
  } catch {
    // EAGAIN: the wake pipe is empty
  }
  for (let message = receiveMessageOnPort(data.commands); message !== undefined; message = receiveMessageOnPort(data.commands)) {
    const command = message.message as TapCommand;
    if (command.type === 'attach') attach(command);
    else if (command.type === 'detach') detach(command.tapId);
    else running = false;
  }
}

function drainReady(): void {
  for (let index = drainers.length - 1; index >= 0; index--) {
    const revents = (pollFds[2 * (index + 1) + 1]! >>> 16) & 0xffff;
    if ((revents & READY) === 0) continue;
    const drainer = drainers[index]!;
    if (drainer.discarding) {
      if (discardAvailable(drainer.fd) === 'ended') {
        remove(index);
        send({ type: 'closed', tapId: drainer.tapId });
      }
      continue;
    }
    let result: DrainResult;
    try {
      result = drainer.drain();
    } catch (error) {
      // One camera's failure stays that camera's: its ring is let go, its pipe still drained.
      drainer.releaseRing();
      send({ type: 'released', tapId: drainer.tapId, reason: `tap failed: ${describeError(error)}; the pipe is drained and discarded`, pipeClosed: false });
      continue;
    }
    if (result === 'ended') {
      remove(index);
      const reason = drainer.truncatedBytes > 0
        ? `stream ended inside a frame (${drainer.truncatedBytes} bytes dropped)`
        : 'stream ended';
      send({ type: 'released', tapId: drainer.tapId, reason, pipeClosed: true });
    }
  }
}

function heartbeatIfDue(): void {
  const nowMs = monotonicMs();
  if (nowMs - lastHeartbeatMs < TICK_MS) return;
  lastHeartbeatMs = nowMs;
  for (let index = 0; index < drainers.length; index++) {
    if (!drainers[index]!.discarding) drainers[index]!.heartbeat();
  }
}

function run(): void {
  rebuildPollSet();
  while (running) {
    const ready = libc.poll(pollFds, drainers.length + 1, TICK_MS);
    if (ready > 0) {
      if (((pollFds[1]! >>> 16) & READY) !== 0) handleCommands();
      if (!running) break;
      drainReady();
    }
    heartbeatIfDue();
  }
  // Shutdown: every ring is consistent and let go; the main thread drains the pipes from here on.
  while (drainers.length > 0) remove(drainers.length - 1);
}

try {
  run();
} catch (error) {
  send({ type: 'error', message: `tap thread stopped: ${(error as Error).message}` });
  throw error;
}
