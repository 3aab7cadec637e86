#!/usr/bin/env node
/**
 * vas-frames: the operator CLI for VAS frame exports (docs/cli.md).
 *
 *   vas-frames [--dir DIR] <command> [options]
 *
 * Expected errors are one line on stderr, `vas-frames: <camera or path>: <cause>`, with the exit
 * codes of errors.ts; nothing here prints a stack trace.
 */
import { describeOptions, parseArgs, type OptionDefs } from './args';
import type { Command } from './command';
import { cleanCommand } from './commands/clean';
import { lsCommand } from './commands/ls';
import { snapshotCommand } from './commands/snapshot';
import { verifyCommand } from './commands/verify';
import { watchCommand } from './commands/watch';
import { ExitCode, reportError, usageError, type ExitCodeValue } from './errors';
import { resolveExportDir } from './exports';

export const COMMANDS: readonly Command[] = [lsCommand, watchCommand, snapshotCommand, verifyCommand, cleanCommand];

const GLOBAL_OPTIONS: OptionDefs = {
  dir: { kind: 'string', valueName: 'DIR', description: 'export dir (default: AI_FRAME_EXPORT_DIR, else /dev/shm/vas)' },
  help: { kind: 'boolean', short: 'h', description: 'show help' },
};

const EXIT_CODE_HELP = [
  'Exit codes:',
  '  0  ok',
  '  1  check failed or nothing to act on: verify found an inconsistency, the writer died,',
  '     stopped or restarted, or N frames did not arrive in time; snapshot found no valid',
  '     frame (none within --timeout, or the writer is dead)',
  '  2  usage error (unknown command or option, bad value, bad camera id)',
  '  3  not found: no such camera, or no export dir',
  '  4  permission denied',
  '  5  other error (invalid export, unexpected system error)',
];

export function mainHelp(): string {
  return [
    'Usage: vas-frames [--dir DIR] <command> [options]',
    '',
    'Inspect the shared-memory frame exports of VAS (<dir>/<camera_id>/frame.meta + frame.data).',
    '',
    'Commands:',
    ...COMMANDS.flatMap((command) => [`  ${command.usage}`, `      ${command.summary}`]),
    '',
    'Options (any command):',
    ...describeOptions(GLOBAL_OPTIONS),
    '',
    ...EXIT_CODE_HELP,
    '',
    'Run "vas-frames <command> --help" for a command\'s options. Documentation: docs/cli.md.',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `Usage: vas-frames [--dir DIR] ${command.usage}`,
    '',
    command.summary.charAt(0).toUpperCase() + command.summary.slice(1) + '.',
    ...command.details,
    '',
    'Options:',
    ...describeOptions({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
    ...EXIT_CODE_HELP,
  ].join('\n');
}

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<ExitCodeValue> {
  try {
    const global = parseArgs(argv, GLOBAL_OPTIONS, { stopAtPositional: true });
    const [name, ...rest] = global.rest;
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? COMMANDS.find((command) => command.name === rest[0]) : undefined;
      if (name === 'help' || global.options.help === true) {
        io.out(topic !== undefined ? commandHelp(topic) : mainHelp());
        return ExitCode.OK;
      }
      throw usageError('usage', 'a command is required: ls, watch, snapshot, verify or clean');
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (command === undefined) throw usageError(name, 'unknown command (commands: ls, watch, snapshot, verify, clean)');
    if (global.options.help === true) {
      io.out(commandHelp(command));
      return ExitCode.OK;
    }
    const parsed = parseArgs(rest, { ...command.options, ...GLOBAL_OPTIONS }, { subject: command.name });
    if (parsed.options.help === true) {
      io.out(commandHelp(command));
      return ExitCode.OK;
    }
    const required = command.positionals.filter((positional) => !positional.endsWith('?')).length;
    if (parsed.positionals.length > command.positionals.length) {
      throw usageError(command.name, `unexpected argument ${JSON.stringify(parsed.positionals[command.positionals.length])}`);
    }
    if (parsed.positionals.length < required) {
      throw usageError(command.name, `missing <${command.positionals[parsed.positionals.length]}>`);
    }
    const options = { ...global.options, ...parsed.options };
    return await command.run({
      dir: resolveExportDir(options.dir),
      options,
      positionals: parsed.positionals,
      out: io.out,
      err: io.err,
    });
  } catch (error) {
    return reportError(error, io.err);
  }
}

if (require.main === module) {
  // `vas-frames ls | head`: a closed pipe is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportError(error, processIo.err);
    },
  );
}
