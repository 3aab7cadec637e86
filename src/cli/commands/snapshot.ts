import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import type { Frame } from '../../meta/frame-meta';
import type { FrameReader } from '../../reader/frame-reader';
import { numberOption, stringOption, type Command } from '../command';
import { CliError, ExitCode, fromErrno, usageError } from '../errors';
import { checkCamera, checkCameraId, openReader, sleep } from '../exports';
import { nv12ToRgb } from '../../reader/nv12-to-rgb';

export const SNAPSHOT_TIMEOUT_S = 2;

/** The latest valid frame, waiting up to `timeoutMs` for one; throws CliError if none. */
export async function waitForFrame(reader: FrameReader, timeoutMs: number): Promise<Frame> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const frame = reader.latest();
    if (frame !== null) return frame;
    const status = reader.status();
    if (status === 'writer-dead') {
      const pid = reader.info()?.header.writerPid;
      throw new CliError(ExitCode.FAILED, reader.cameraId, `writer${pid === undefined ? '' : ` (pid ${pid})`} is dead: no live frame`);
    }
    if (status === 'not-present') throw new CliError(ExitCode.NOT_FOUND, reader.cameraId, 'export stopped or removed');
    if (status === 'idle') throw new CliError(ExitCode.FAILED, reader.cameraId, 'the camera\'s stream has ended (idle): no frame will come until VAS restarts it');
    if (status === 'invalid') throw new CliError(ExitCode.ERROR, reader.cameraId, reader.problem ?? 'invalid export');
    if (performance.now() >= deadline) {
      throw new CliError(ExitCode.FAILED, reader.cameraId, `no frame within ${timeoutMs / 1000} s (nothing written yet?)`);
    }
    await sleep(10);
  }
}

function describeFrame(frame: Frame): string {
  return `camera ${frame.meta.cameraId}, frame ${frame.meta.frameId}, ${frame.meta.width}x${frame.meta.height}`;
}

export function encodePng(frame: Frame): Buffer {
  const png = new PNG({ width: frame.meta.width, height: frame.meta.height });
  nv12ToRgb(frame.data, frame.meta, png.data, 4);
  return PNG.sync.write(png, { colorType: 2 });
}

function writeFile(target: string, bytes: Uint8Array): void {
  try {
    fs.writeFileSync(target, bytes);
  } catch (error) {
    throw fromErrno(error, target, 'cannot write');
  }
}

export const snapshotCommand: Command = {
  name: 'snapshot',
  usage: 'snapshot <camera> (-o FILE.png | --raw FILE.nv12) [--timeout S]',
  summary: 'save the latest frame as PNG (in the matrix and range its header records) or as the exact NV12 bytes',
  details: [
    'Both -o and --raw may be given: both files then hold the same frame.',
    'Waits up to --timeout seconds for a valid frame; exit 1 if none came or the writer is dead.',
  ],
  options: {
    output: { kind: 'string', short: 'o', valueName: 'FILE', description: 'write the frame as an RGB PNG' },
    raw: { kind: 'string', valueName: 'FILE', description: 'write the exact NV12 frame bytes' },
    timeout: { kind: 'number', valueName: 'S', min: 0, description: `wait up to S seconds for a frame (default ${SNAPSHOT_TIMEOUT_S})` },
  },
  positionals: ['camera'],
  async run(context) {
    const camera = checkCameraId(context.positionals[0], 'snapshot');
    const pngFile = stringOption(context, 'output');
    const rawFile = stringOption(context, 'raw');
    if (pngFile === undefined && rawFile === undefined) throw usageError('snapshot', 'give -o FILE.png or --raw FILE.nv12');
    checkCamera(context.dir, camera);
    const reader = openReader(context.dir, camera);
    try {
      const frame = await waitForFrame(reader, numberOption(context, 'timeout', SNAPSHOT_TIMEOUT_S) * 1000);
      if (rawFile !== undefined) {
        writeFile(rawFile, frame.data);
        context.out(`wrote ${rawFile}: ${describeFrame(frame)}, NV12 raw, ${frame.data.length} bytes`);
      }
      if (pngFile !== undefined) {
        writeFile(pngFile, encodePng(frame));
        context.out(`wrote ${pngFile}: ${describeFrame(frame)}, PNG RGB`);
      }
      return ExitCode.OK;
    } finally {
      reader.close();
    }
  },
};
