import { numberOption, type Command } from '../command';
import { CliError, ExitCode } from '../errors';
import { checkCamera, checkCameraId, openReader, sleep } from '../exports';

export const VERIFY_DEFAULT_FRAMES = 100;
export const VERIFY_DEFAULT_TIMEOUT_S = 30;
/** Between two polls of latest_frame_id when no new frame was published. */
const POLL_MS = 2;
/** How often liveness is re-checked while waiting. */
const STATUS_MS = 250;
const MAX_PRINTED_ISSUES = 20;

export interface VerifyResult {
  accepted: number;
  skipped: number;
  idGaps: number;
  fps: number | null;
  issues: string[];
  /** Why verification stopped early (writer died, export removed, restart), or null. */
  ended: string | null;
  timedOut: boolean;
}

export const verifyCommand: Command = {
  name: 'verify',
  usage: 'verify <camera> [--frames N] [--timeout S]',
  summary: 'read N distinct frames and check the export protocol end to end',
  details: [
    'Polls latest_frame_id with short sleeps and reads each new frame with the reader protocol.',
    'Checks: only protocol-valid frames are returned, frame ids and timestamps strictly increase,',
    'data size equals the header frame size, and the generation never changes (a restart fails).',
    'Summary: frames read, skipped (reads discarded by the protocol), id gaps (frames published',
    'but not seen by this reader), fps (frames committed per second by the writer over the run).',
    'Exit 1 on any inconsistency, if the writer dies or stops, or if N frames did not arrive in time.',
  ],
  options: {
    frames: { kind: 'integer', valueName: 'N', min: 1, description: `distinct frames to read (default ${VERIFY_DEFAULT_FRAMES})` },
    timeout: { kind: 'number', valueName: 'S', min: 0, description: `give up after S seconds (default ${VERIFY_DEFAULT_TIMEOUT_S})` },
  },
  positionals: ['camera'],
  async run(context) {
    const camera = checkCameraId(context.positionals[0], 'verify');
    const wanted = numberOption(context, 'frames', VERIFY_DEFAULT_FRAMES);
    const timeoutS = numberOption(context, 'timeout', VERIFY_DEFAULT_TIMEOUT_S);
    checkCamera(context.dir, camera);
    const reader = openReader(context.dir, camera);
    try {
      const initial = reader.status();
      if (initial === 'not-present') throw new CliError(ExitCode.NOT_FOUND, camera, 'export stopped or removed');
      const info = reader.info();
      if (info === null) throw new CliError(ExitCode.NOT_FOUND, camera, 'export stopped or removed');
      if (initial === 'writer-dead') {
        throw new CliError(ExitCode.FAILED, camera, `writer (pid ${info.header.writerPid}) is dead: nothing to verify`);
      }
      const { header } = info;
      const result: VerifyResult = { accepted: 0, skipped: 0, idGaps: 0, fps: null, issues: [], ended: null, timedOut: false };
      const started = performance.now();
      const deadline = started + timeoutS * 1000;
      let lastStatusCheck = started;
      let lastId = 0;
      let lastTimestamp = -1n;
      let first: { id: number; timestamp: bigint } | null = null;

      const endedBy = (status: string): string | null => {
        if (status === 'writer-dead') return `writer (pid ${header.writerPid}) died after ${result.accepted} frames`;
        if (status === 'not-present') return `export stopped after ${result.accepted} frames`;
        if (status === 'invalid') return `export became invalid: ${reader.problem ?? 'unknown reason'}`;
        if (status === 'restarted') return `export restarted (new generation) after ${result.accepted} frames`;
        return null;
      };

      while (result.accepted < wanted) {
        const now = performance.now();
        if (now >= deadline) {
          result.timedOut = true;
          break;
        }
        const published = reader.latestFrameId();
        if (published === 0 || published === lastId) {
          if (now - lastStatusCheck >= STATUS_MS) {
            lastStatusCheck = now;
            result.ended = endedBy(reader.status());
            if (result.ended !== null) break;
          }
          await sleep(POLL_MS);
          continue;
        }
        const frame = reader.latest();
        if (frame === null) {
          // Discarded by the protocol (being written, or overwritten while copying), unless the
          // export is no longer live.
          lastStatusCheck = performance.now();
          result.ended = endedBy(reader.status());
          if (result.ended !== null) break;
          result.skipped++;
          continue;
        }
        const meta = frame.meta;
        if (meta.generation !== header.generation) {
          result.ended = `export restarted (generation ${hex(header.generation)} -> ${hex(meta.generation)}) after ${result.accepted} frames`;
          break;
        }
        if (meta.frameId === lastId) continue;
        result.accepted++;
        const where = `frame ${meta.frameId}`;
        if (meta.frameId < lastId) result.issues.push(`${where}: frame id went backwards (previous ${lastId})`);
        else if (lastId > 0) result.idGaps += meta.frameId - lastId - 1;
        if (meta.timestampNs <= lastTimestamp) {
          result.issues.push(`${where}: timestamp_ns ${meta.timestampNs} is not after the previous frame's ${lastTimestamp}`);
        }
        if (frame.data.length !== header.frameSize || meta.dataSize !== header.frameSize) {
          result.issues.push(`${where}: data size ${frame.data.length} (data_size ${meta.dataSize}) != frame_size ${header.frameSize}`);
        }
        if (meta.width !== header.width || meta.height !== header.height) {
          result.issues.push(`${where}: geometry ${meta.width}x${meta.height} != header ${header.width}x${header.height}`);
        }
        first ??= { id: meta.frameId, timestamp: meta.timestampNs };
        if (meta.frameId > first.id && meta.timestampNs > first.timestamp) {
          result.fps = (meta.frameId - first.id) / (Number(meta.timestampNs - first.timestamp) / 1e9);
        }
        lastId = meta.frameId;
        lastTimestamp = meta.timestampNs;
      }

      const fps = result.fps === null ? '-' : result.fps.toFixed(1);
      let verdict = 'OK';
      if (result.issues.length > 0) verdict = `FAILED (${result.issues.length} inconsistenc${result.issues.length === 1 ? 'y' : 'ies'})`;
      if (result.ended !== null) verdict = `FAILED (${result.ended})`;
      else if (result.timedOut) verdict = `FAILED (timed out: ${result.accepted} of ${wanted} frames in ${timeoutS} s)`;
      context.out(`${camera}: ${result.accepted} frames, ${result.skipped} skipped, ${result.idGaps} id gaps, ${fps} fps: ${verdict}`);
      for (const issue of result.issues.slice(0, MAX_PRINTED_ISSUES)) context.err(`vas-frames: ${camera}: ${issue}`);
      if (result.issues.length > MAX_PRINTED_ISSUES) {
        context.err(`vas-frames: ${camera}: ... and ${result.issues.length - MAX_PRINTED_ISSUES} more inconsistencies`);
      }
      return verdict === 'OK' ? ExitCode.OK : ExitCode.FAILED;
    } finally {
      reader.close();
    }
  },
};

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
