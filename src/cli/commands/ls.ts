import { CameraSampler, ROW_KEYS, cameraTable, type CameraRow } from '../camera-rows';
import type { Command } from '../command';
import { ExitCode } from '../errors';
import { checkExportDir, sleep } from '../exports';

/** fps is measured over this window, for all cameras at once. */
export const FPS_WINDOW_MS = 1000;

/** Keys in ROW_KEYS order, whatever order the row was built in. */
export function orderedRow(row: CameraRow): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const key of ROW_KEYS) ordered[key] = row[key];
  return ordered;
}

export const lsCommand: Command = {
  name: 'ls',
  usage: 'ls [--json]',
  summary: 'list every exported camera with its counters, fps, writer and readers',
  details: [
    'Takes about one second: fps is measured from two samples of frames_written about one second',
    'apart, for all cameras at once. Exports that cannot be read are reported on stderr and left out.',
  ],
  options: {
    json: { kind: 'boolean', description: 'print one JSON array of records with snake_case keys' },
  },
  positionals: [],
  async run(context) {
    checkExportDir(context.dir);
    const sampler = new CameraSampler(context.dir);
    try {
      const early = sampler.sample();
      if (sampler.cameraCount > 0) await sleep(FPS_WINDOW_MS);
      const { rows, problems } = sampler.collect();
      const reported = new Set<string>();
      for (const problem of [...early, ...problems]) {
        if (reported.has(problem)) continue;
        reported.add(problem);
        context.err(`vas-frames: ${problem}`);
      }
      if (context.options.json === true) {
        context.out(JSON.stringify(rows.map(orderedRow), null, 2));
      } else if (rows.length === 0) {
        context.out(`no cameras exported in ${context.dir}`);
      } else {
        for (const line of cameraTable(rows)) context.out(line);
      }
      return ExitCode.OK;
    } finally {
      sampler.close();
    }
  },
};
