/**
 * The command-line parser shared by every command: Node's util.parseArgs (`--name value`,
 * `--name=value`, `-x value`, boolean flags, `--` to end options), plus what it does not do:
 * typed values with a minimum, and stopping at the first positional (the command name).
 */
import { parseArgs as parseNodeArgs } from 'node:util';
import { usageError } from './errors';

export type OptionKind = 'boolean' | 'string' | 'integer' | 'number';

export interface OptionDef {
  readonly kind: OptionKind;
  /** One-letter alias, without the dash. */
  readonly short?: string;
  /** Shown in help: `--frames N`. */
  readonly valueName?: string;
  readonly description: string;
  /** Smallest accepted value for integer and number options. */
  readonly min?: number;
}

export type OptionDefs = Readonly<Record<string, OptionDef>>;
export type OptionValue = string | number | boolean;

export interface ParsedArgs {
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly positionals: readonly string[];
  /** Arguments left unparsed after the first positional (with stopAtPositional). */
  readonly rest: readonly string[];
}

export interface ParseSettings {
  /** Stop at the first positional and return it and everything after it in `rest`. */
  readonly stopAtPositional?: boolean;
  /** Names errors after this (a command name). */
  readonly subject?: string;
}

function convert(name: string, def: OptionDef, raw: string, subject: string): OptionValue {
  if (def.kind === 'string') {
    if (raw === '') throw usageError(subject, `--${name} needs a non-empty value`);
    return raw;
  }
  const value = def.kind === 'integer'
    ? (/^[0-9]+$/.test(raw) ? Number(raw) : NaN)
    : (/^[0-9]+(\.[0-9]+)?$/.test(raw) ? Number(raw) : NaN);
  const wanted = def.kind === 'integer' ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || (def.kind === 'integer' && !Number.isSafeInteger(value))) {
    throw usageError(subject, `--${name} ${JSON.stringify(raw)}: expected ${wanted}`);
  }
  if (def.min !== undefined && value < def.min) {
    throw usageError(subject, `--${name} ${raw}: expected ${wanted} >= ${def.min}`);
  }
  return value;
}

export function parseArgs(argv: readonly string[], defs: OptionDefs, settings: ParseSettings = {}): ParsedArgs {
  const subject = settings.subject ?? 'usage';
  const nodeOptions = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, {
    type: def.kind === 'boolean' ? 'boolean' as const : 'string' as const,
    ...(def.short === undefined ? {} : { short: def.short }),
  }]));
  let args = [...argv];
  let rest: string[] = [];
  if (settings.stopAtPositional) {
    // Where the first positional starts, knowing which options take a value.
    const { tokens } = parseNodeArgs({ args, options: nodeOptions, allowPositionals: true, strict: false, tokens: true });
    const first = tokens.find((token) => token.kind === 'positional' || token.kind === 'option-terminator');
    if (first?.kind === 'positional') {
      rest = args.slice(first.index);
      args = args.slice(0, first.index);
    }
  }
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args, options: nodeOptions, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(subject, (error as Error).message.replace(/\. To specify a positional argument.*$/s, '').split('\n')[0]!);
  }
  const options: Record<string, OptionValue> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined) continue;
    options[name] = typeof value === 'string' ? convert(name, defs[name]!, value, subject) : true;
  }
  return { options, positionals: parsed.positionals, rest };
}

/** The option lines of a help text, aligned. */
export function describeOptions(defs: OptionDefs): string[] {
  const rows = Object.entries(defs).map(([name, def]) => {
    const value = def.kind === 'boolean' ? '' : ` ${def.valueName ?? 'VALUE'}`;
    const flag = def.short !== undefined ? `-${def.short}, --${name}${value}` : `    --${name}${value}`;
    return [flag, def.description] as const;
  });
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}
