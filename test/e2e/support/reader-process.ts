/**
 * A local AI process as the end-to-end tests see it: reads exports with the TypeScript
 * FrameReader, in a process of its own.
 *
 *   node reader-process.js watch <dir> <camera>...
 *     Polls every camera every 2 ms. For every new frame it copies the frame, decodes the
 *     camera's counter (decodeFrameCounter) and checks the colour bars (barColourMismatches) at
 *     the export's geometry, and prints one JSON line (FrameLine). Every change of a camera's
 *     status() prints a StatusLine ('restarted' is reported once, as the reader gives it).
 *     Prints {"k":"ready"} once every reader is open.
 *
 *   node reader-process.js spin <dir> <camera>
 *     A reader that does nothing but read: once it has a frame it prints {"k":"ready"} and
 *     calls latest() in a synchronous loop until it is killed (so a SIGSTOP or SIGKILL lands in
 *     the middle of a read, with both files mapped).
 *
 * Times are CLOCK_MONOTONIC in ms (process.hrtime), comparable with the writer's timestamp_ns
 * and with the other processes of the test on this host.
 */
import { barColourMismatches, decodeFrameCounter } from '../../fixtures/camera/frame-pattern';
import { FrameReader, type ExportStatus } from '../../../src/reader/frame-reader';

/** One frame as the watch reader saw it. */
export interface FrameLine {
  readonly k: 'f';
  readonly cam: string;
  /** When the reader had the copy (monotonic ms). */
  readonly t: number;
  /** generation, as a decimal string. */
  readonly gen: string;
  readonly id: number;
  /** timestamp_ns of the frame (writer's commit), in monotonic ms. */
  readonly ts: number;
  /** Geometry from the header and the frame's meta. */
  readonly w: number;
  readonly h: number;
  readonly frameSize: number;
  readonly dataSize: number;
  readonly bytes: number;
  /** The camera's frame counter drawn in the picture, or null if unreadable. */
  readonly counter: number | null;
  /** Names of the colour bars that do not match. */
  readonly bad: readonly string[];
  /** Status block read right after the frame. */
  readonly framesWritten: number;
  readonly latestFrameId: number;
  readonly droppedSizeMismatch: number;
  readonly droppedTruncated: number;
}

export interface StatusLine {
  readonly k: 's';
  readonly cam: string;
  readonly t: number;
  readonly status: ExportStatus;
}

export type ReaderLine = FrameLine | StatusLine | { readonly k: 'ready'; readonly t: number };

function nowMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

function print(line: ReaderLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function watch(dir: string, cameras: string[]): void {
  const state = cameras.map((cam) => ({
    cam,
    reader: FrameReader.open(cam, { dir, recheckMs: 20 }),
    lastId: 0,
    lastGen: '',
    lastStatus: '' as ExportStatus | '',
    lastStatusAt: 0,
  }));
  print({ k: 'ready', t: nowMs() });
  const poll = (): void => {
    for (const s of state) {
      const t = nowMs();
      if (t - s.lastStatusAt >= 20) {
        s.lastStatusAt = t;
        const status = s.reader.status();
        if (status !== s.lastStatus) {
          s.lastStatus = status;
          print({ k: 's', cam: s.cam, t, status });
        }
      }
      const id = s.reader.latestFrameId();
      if (id === 0 || id === s.lastId) continue;
      const frame = s.reader.latest();
      if (frame === null) continue;
      const { meta, data } = frame;
      const gen = meta.generation.toString();
      if (meta.frameId === s.lastId && gen === s.lastGen) continue;
      const seen = nowMs();
      s.lastId = meta.frameId;
      s.lastGen = gen;
      const info = s.reader.info();
      print({
        k: 'f', cam: s.cam, t: seen, gen, id: meta.frameId, ts: Number(meta.timestampNs / 1000n) / 1000,
        w: meta.width, h: meta.height, frameSize: info?.header.frameSize ?? -1, dataSize: meta.dataSize, bytes: data.length,
        counter: decodeFrameCounter(data, meta.width, meta.height),
        bad: barColourMismatches(data, meta.width, meta.height).map((m) => m.name),
        framesWritten: info?.status.framesWritten ?? -1,
        latestFrameId: info?.status.latestFrameId ?? -1,
        droppedSizeMismatch: info?.status.droppedSizeMismatch ?? -1,
        droppedTruncated: info?.status.droppedTruncated ?? -1,
      });
    }
    setTimeout(poll, 2);
  };
  poll();
}

function spin(dir: string, cam: string): void {
  const reader = FrameReader.open(cam, { dir });
  const wait = (): void => {
    if (reader.latest() === null) {
      setTimeout(wait, 5);
      return;
    }
    print({ k: 'ready', t: nowMs() });
    // No event loop from here on, so no stdin 'end': notice an orphaning by the parent pid.
    const parent = process.ppid;
    for (let reads = 1; ; reads++) {
      reader.latest();
      if (reads % 1024 === 0 && process.ppid !== parent) process.exit(0);
    }
  };
  wait();
}

const [mode, dir, ...cameras] = process.argv.slice(2);
if (mode === 'watch' && dir !== undefined && cameras.length > 0) watch(dir, cameras);
else if (mode === 'spin' && dir !== undefined && cameras.length === 1) spin(dir, cameras[0]!);
else {
  process.stderr.write('usage: reader-process.js watch <dir> <camera>... | spin <dir> <camera>\n');
  process.exit(2);
}
// The test went away: stdin (a pipe it holds) ends.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
