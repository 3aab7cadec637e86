import { CameraSampler, ROW_KEYS, cameraTable, problemLine, type CameraRow } from '../camera-rows';
import type { Command } from '../command';
import { ExitCode, type ExitCodeValue } from '../errors';
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
    'apart, for all cameras at once. An export that cannot be read is reported on stderr and left',
    'out; the others are still listed, and the exit code is then 4 (permission denied) or 5.',
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
      let exitCode: ExitCodeValue = ExitCode.OK;
      for (const problem of [...early, ...problems]) {
        const line = problemLine(problem);
        if (reported.has(line)) continue;
        reported.add(line);
        if (exitCode === ExitCode.OK) exitCode = problem.exitCode;
        context.err(`vas-frames: ${line}`);
      }
      if (context.options.json === true) {
        context.out(JSON.stringify(rows.map(orderedRow), null, 2));
      } else if (rows.length === 0 && reported.size === 0) {
        context.out(`no cameras exported in ${context.dir}`);
      } else if (rows.length > 0) {
        for (const line of cameraTable(rows)) context.out(line);
      }
      return exitCode;
    } finally {
      sampler.close();
    }
  },
};
