import * as fs from 'node:fs';
import * as path from 'node:path';
import { cameraIdProblem } from '../../config/camera-id';
import { WriterState } from '../../layout/frame-export-layout';
import { abandonedTemporaryReason, inspectCameraDir, removeExportDir, TEMPORARY_NAME } from '../../status/export-inspection';
import type { Command } from '../command';
import { CliError, ExitCode, errnoText, exitCodeForErrno, isErrno, type ExitCodeValue } from '../errors';
import { checkExportDir } from '../exports';

/** Why this camera directory is a dead export to remove, or null to keep it (spec 1.1 and 6.3). */
function deadExportReason(cameraDir: string): string | null {
  const found = inspectCameraDir(cameraDir);
  if (found.kind !== 'export' || found.deathReason === null) return null;
  const state = found.state === WriterState.STOPPED ? 'STOPPED' : found.state === WriterState.IDLE ? 'IDLE' : 'LIVE';
  return `${found.deathReason} (state ${state})`;
}

export const cleanCommand: Command = {
  name: 'clean',
  usage: 'clean [--dry-run]',
  summary: 'remove exports whose writer is dead, and abandoned temporary directories',
  details: [
    'Removes only what is provably an export (a directory holding exactly frame.meta, with a valid',
    'header, and frame.data) whose writer is dead: its pid is gone or a zombie (writer in our pid',
    'namespace), or its heartbeat is older than 2 s; and abandoned .tmp- directories of writers of',
    'our pid namespace that no longer run. Anything else in the dir is never touched.',
    'Symbolic links are never followed. Prints one line per removal, or "nothing to clean".',
    'An export it may not read or remove is reported on stderr and kept; the exit code is then 4.',
  ],
  options: {
    'dry-run': { kind: 'boolean', description: 'print what would be removed, remove nothing' },
  },
  positionals: [],
  async run(context) {
    const { dir } = context;
    checkExportDir(dir);
    if (fs.lstatSync(dir).isSymbolicLink()) {
      throw new CliError(ExitCode.ERROR, dir, 'export dir is a symbolic link: refusing to clean through it');
    }
    const dryRun = context.options['dry-run'] === true;
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (error) {
      throw new CliError(isErrno(error) ? exitCodeForErrno(error.code) : ExitCode.ERROR, dir, isErrno(error) ? errnoText(error) : String(error));
    }
    let acted = 0;
    let exitCode: ExitCodeValue = ExitCode.OK;
    for (const name of names) {
      const target = path.join(dir, name);
      let stat: fs.Stats;
      try {
        stat = fs.lstatSync(target);
      } catch {
        continue; // gone meanwhile
      }
      if (!stat.isDirectory()) continue; // symbolic links and files are never touched
      let reason: string | null = null;
      try {
        if (TEMPORARY_NAME.test(name)) reason = abandonedTemporaryReason(target);
        else if (cameraIdProblem(name) === null) reason = deadExportReason(target);
      } catch (error) {
        if (exitCode === ExitCode.OK) exitCode = isErrno(error) ? exitCodeForErrno(error.code) : ExitCode.ERROR;
        context.err(`vas-frames: ${target}: cannot read its header, kept: ${isErrno(error) ? errnoText(error) : String(error)}`);
        continue;
      }
      if (reason === null) continue;
      acted++;
      if (dryRun) {
        context.out(`would remove ${target}: ${reason}`);
        continue;
      }
      try {
        const again = fs.lstatSync(target);
        if (!again.isDirectory() || again.ino !== stat.ino) {
          context.err(`vas-frames: ${target}: replaced while cleaning; kept`);
          continue;
        }
        removeExportDir(target);
        context.out(`removed ${target}: ${reason}`);
      } catch (error) {
        const code = isErrno(error) ? exitCodeForErrno(error.code) : ExitCode.ERROR;
        if (exitCode === ExitCode.OK) exitCode = code;
        context.err(`vas-frames: ${target}: cannot remove: ${isErrno(error) ? errnoText(error) : String(error)}`);
      }
    }
    if (acted === 0 && exitCode === ExitCode.OK) context.out(`nothing to clean in ${dir}`);
    return exitCode;
  },
};
