/**
 * The synthetic "FFmpeg": a child process that writes raw NV12 frames into tap pipes, with no
 * decode cost. Camera i's pipe is child fd 3 + i (the host passes each camera's
 * ffmpegOutput(id, 3 + i).stdio entry there); an IPC channel follows the pipes.
 *
 * Every frame carries a stamp in its first 8 bytes: u32 frame number (1-based, per camera)
 * and u32 camera index, so a reader can tell which frame it sees.
 *
 * Modes:
 *   burst  waits for {type:'burst', frames} and writes that many frames to every pipe as fast as
 *          the pipes take them, then answers {type:'burst-done'}; {type:'end'} closes the pipes.
 *   count  writes `frames` frames to every pipe as fast as possible, closes them and exits.
 *   rate   after {type:'go'}, timer-driven at `fps` per camera (cameras phase-shifted evenly over one frame period)
 *          for warmupMs + windowMs; records CLOCK_MONOTONIC (process.hrtime) right after the
 *          write of each frame's last byte; announces the window's start and end; writes the
 *          stamps of the frames it wrote to `out` (Float64 triples: camera, frame, ns).
 */
import * as fs from 'node:fs';

interface FeederParams {
  readonly mode: 'burst' | 'count' | 'rate';
  readonly cameras: number;
  readonly width: number;
  readonly height: number;
  readonly frames?: number;
  readonly fps?: number;
  readonly warmupMs?: number;
  readonly windowMs?: number;
  readonly out?: string;
}

export type FeederMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'burst-done' }
  | { readonly type: 'window-start' }
  | { readonly type: 'window-end' }
  | { readonly type: 'done'; readonly written: number[]; readonly lateFrames: number; readonly maxLateMs: number };

const params = JSON.parse(process.argv[2]!) as FeederParams;
const frameSize = params.width * params.height * 3 / 2;
const fds = Array.from({ length: params.cameras }, (_, index) => 3 + index);
const frames = fds.map((_, index) => {
  const frame = Buffer.alloc(frameSize);
  for (let offset = 8; offset < frameSize; offset += 64) frame[offset] = (offset >>> 6) & 0xff;
  frame.writeUInt32LE(index, 4);
  return frame;
});
const written = fds.map(() => 0);

function send(message: FeederMessage, then?: () => void): void {
  process.send!(message, () => then?.());
}

/** One whole frame into camera `index`'s pipe (a blocking pipe: write(2) may take it in parts). */
function writeFrame(index: number): void {
  const frame = frames[index]!;
  written[index]!++;
  frame.writeUInt32LE(written[index]!, 0);
  let offset = 0;
  while (offset < frameSize) offset += fs.writeSync(fds[index]!, frame, offset, frameSize - offset);
}

function closePipes(): void {
  for (const fd of fds) fs.closeSync(fd);
}

function burstMode(): void {
  process.on('message', (message: { type: string; frames?: number }) => {
    if (message.type === 'burst') {
      for (let frame = 0; frame < message.frames!; frame++) {
        for (let index = 0; index < fds.length; index++) writeFrame(index);
      }
      send({ type: 'burst-done' });
    } else if (message.type === 'end') {
      closePipes();
      send({ type: 'done', written, lateFrames: 0, maxLateMs: 0 }, () => process.exit(0));
    }
  });
  send({ type: 'ready' });
}

function countMode(): void {
  for (let frame = 0; frame < params.frames!; frame++) {
    for (let index = 0; index < fds.length; index++) writeFrame(index);
  }
  closePipes();
  send({ type: 'done', written, lateFrames: 0, maxLateMs: 0 }, () => process.exit(0));
}

async function rateMode(): Promise<void> {
  // Readers attach first: the host says 'go' once they are ready.
  await new Promise<void>((resolve) => {
    process.on('message', (message: { type: string }) => {
      if (message.type === 'go') resolve();
    });
    send({ type: 'ready' });
  });
  const periodNs = 1e9 / params.fps!;
  const warmupNs = params.warmupMs! * 1e6;
  const windowNs = params.windowMs! * 1e6;
  const maxFrames = Math.ceil((warmupNs + windowNs) / periodNs) + 2;
  const stamps = new Float64Array(params.cameras * maxFrames * 3);
  let stampCount = 0;
  let lateFrames = 0;
  let maxLateNs = 0;
  const nextDue = fds.map((_, index) => (index * periodNs) / params.cameras);
  const start = Number(process.hrtime.bigint());
  let windowStarted = false;
  for (;;) {
    const elapsed = Number(process.hrtime.bigint()) - start;
    if (!windowStarted && elapsed >= warmupNs) {
      windowStarted = true;
      send({ type: 'window-start' });
    }
    if (elapsed >= warmupNs + windowNs) break;
    let earliest = windowStarted ? warmupNs + windowNs : warmupNs;
    for (let index = 0; index < fds.length; index++) {
      if (nextDue[index]! <= elapsed) {
        const late = elapsed - nextDue[index]!;
        if (late > periodNs / 2) lateFrames++;
        if (late > maxLateNs) maxLateNs = late;
        writeFrame(index);
        const doneNs = Number(process.hrtime.bigint());
        if (stampCount + 3 <= stamps.length) {
          stamps[stampCount++] = index;
          stamps[stampCount++] = written[index]!;
          stamps[stampCount++] = doneNs;
        }
        nextDue[index]! += periodNs;
      }
      if (nextDue[index]! < earliest) earliest = nextDue[index]!;
    }
    const wait = (earliest - (Number(process.hrtime.bigint()) - start)) / 1e6;
    // Timer-driven like a camera: sleep until the next frame is due (setTimeout wakes up to
    // about a millisecond late; the stamp is taken after the write, so lateness does not bias
    // the latency). Never spins: spinning would take CPU from the tap on a small machine.
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.floor(wait)));
  }
  send({ type: 'window-end' });
  closePipes();
  fs.writeFileSync(params.out!, Buffer.from(stamps.buffer, 0, stampCount * 8));
  send({ type: 'done', written, lateFrames, maxLateMs: maxLateNs / 1e6 }, () => process.exit(0));
}

if (params.mode === 'burst') burstMode();
else if (params.mode === 'count') countMode();
else void rateMode();
