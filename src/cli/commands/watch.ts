import { CameraSampler, cameraTable, problemLine } from '../camera-rows';
import { numberOption, type Command } from '../command';
import { CliError, ExitCode } from '../errors';
import { checkCameraId, checkExportDir, isRealDirectory } from '../exports';
import * as path from 'node:path';

/** ANSI: cursor home, then clear the screen. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';
export const REFRESH_MS = 1000;

export const watchCommand: Command = {
  name: 'watch',
  usage: 'watch [camera] [--count N]',
  summary: 'the ls table, refreshed every second until Ctrl-C',
  details: [
    'Clears the screen (ANSI) before each refresh. fps is measured between refreshes.',
    'With a camera id, shows only that camera (it must exist when watch starts).',
    'Ctrl-C (SIGINT) ends it with exit code 0.',
  ],
  options: {
    count: { kind: 'integer', valueName: 'N', min: 1, description: 'stop after N refreshes' },
  },
  positionals: ['camera?'],
  async run(context) {
    const camera = context.positionals[0] === undefined ? null : checkCameraId(context.positionals[0], 'watch');
    checkExportDir(context.dir);
    if (camera !== null && !isRealDirectory(path.join(context.dir, camera))) {
      throw new CliError(ExitCode.NOT_FOUND, camera, `no such camera in ${context.dir}`);
    }
    const count = numberOption(context, 'count', Infinity);
    const sampler = new CameraSampler(context.dir, camera);
    let interrupted = false;
    let wake: (() => void) | null = null;
    const onSigint = (): void => {
      interrupted = true;
      wake?.();
    };
    process.on('SIGINT', onSigint);
    try {
      sampler.sample();
      for (let refresh = 0; refresh < count && !interrupted; refresh++) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, REFRESH_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        if (interrupted) break;
        const lines = [`vas-frames watch  ${context.dir}  ${new Date().toISOString()}  (Ctrl-C to quit)`, ''];
        try {
          const { rows, problems } = sampler.collect();
          if (rows.length === 0) lines.push(camera === null ? `no cameras exported in ${context.dir}` : `${camera}: not present`);
          else lines.push(...cameraTable(rows));
          if (problems.length > 0) lines.push('', ...problems.map(problemLine));
        } catch (error) {
          // The export dir may vanish and come back (VAS restarting): keep watching.
          lines.push(error instanceof CliError ? `${error.subject}: ${error.cause_}` : String(error));
        }
        context.out(CLEAR_SCREEN + lines.join('\n'));
      }
      return ExitCode.OK;
    } finally {
      process.removeListener('SIGINT', onSigint);
      sampler.close();
    }
  },
};
