/**
 * Exit codes and expected errors of vas-frames. An expected error is printed as one line,
 * `vas-frames: <subject>: <cause>`, never with a stack trace.
 */

export const ExitCode = {
  /** Success. */
  OK: 0,
  /** The command ran but its check failed or there was nothing to act on (see docs/cli.md). */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** No such camera, or no export dir. */
  NOT_FOUND: 3,
  /** Permission denied. */
  PERMISSION: 4,
  /** Anything else. */
  ERROR: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: `subject` is a camera id, a path or a command name. */
export class CliError extends Error {
  constructor(readonly exitCode: ExitCodeValue, readonly subject: string, readonly cause_: string) {
    super(`${subject}: ${cause_}`);
  }
}

export function usageError(subject: string, cause: string): CliError {
  return new CliError(ExitCode.USAGE, subject, `${cause} (see vas-frames --help)`);
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'is a symbolic link (refused)',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EBUSY: 'resource busy',
};

export function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** The exit code for a system error code. */
export function exitCodeForErrno(code: string | undefined): ExitCodeValue {
  if (code === 'ENOENT') return ExitCode.NOT_FOUND;
  if (code === 'EACCES' || code === 'EPERM') return ExitCode.PERMISSION;
  return ExitCode.ERROR;
}

/** A short cause for a system error: "permission denied" rather than Node's long message. */
export function errnoText(error: NodeJS.ErrnoException): string {
  const code = error.code ?? 'error';
  return ERRNO_TEXT[code] ?? `${error.message.split('\n')[0]} (${code})`;
}

/** Turns a system error about `subject` (a path or camera) into a CliError. */
export function fromErrno(error: unknown, subject: string, doing?: string): CliError {
  if (error instanceof CliError) return error;
  if (isErrno(error)) {
    const cause = doing === undefined ? errnoText(error) : `${doing}: ${errnoText(error)}`;
    return new CliError(exitCodeForErrno(error.code), subject, cause);
  }
  return new CliError(ExitCode.ERROR, subject, oneLine(error));
}

/** The first line of an error message, for errors that are not ours. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}

/** The one line printed for any error that reaches main. Returns the exit code. */
export function reportError(error: unknown, write: (line: string) => void): ExitCodeValue {
  let cli: CliError;
  if (error instanceof CliError) {
    cli = error;
  } else if (isErrno(error)) {
    cli = fromErrno(error, error.path ?? (error.syscall !== undefined ? error.syscall : 'vas-frames'));
  } else {
    cli = new CliError(ExitCode.ERROR, 'internal error', oneLine(error));
  }
  write(`vas-frames: ${cli.subject}: ${cli.cause_}`);
  return cli.exitCode;
}
