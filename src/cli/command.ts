/** What every vas-frames command provides. Each command lives in its own file under commands/. */
import type { OptionDefs, OptionValue } from './args';
import type { ExitCodeValue } from './errors';

export interface CommandContext {
  /** The export dir (--dir, AI_FRAME_EXPORT_DIR or /dev/shm/vas). */
  readonly dir: string;
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly positionals: readonly string[];
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface Command {
  readonly name: string;
  /** `ls [--json]` */
  readonly usage: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Further lines for `vas-frames <command> --help`. */
  readonly details: readonly string[];
  readonly options: OptionDefs;
  /** Names of the positional arguments, `?` suffix when optional. */
  readonly positionals: readonly string[];
  run(context: CommandContext): Promise<ExitCodeValue>;
}

/** Reads an option the parser has already typed. */
export function numberOption(context: CommandContext, name: string, fallback: number): number {
  const value = context.options[name];
  return typeof value === 'number' ? value : fallback;
}

export function stringOption(context: CommandContext, name: string): string | undefined {
  const value = context.options[name];
  return typeof value === 'string' ? value : undefined;
}
