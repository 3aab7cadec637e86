/**
 * The command-line parser shared by every command: `--name value`, `--name=value`, `-x value`,
 * boolean flags, `--` to end options. No framework: the few shapes vas-frames needs.
 */
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
  const options: Record<string, OptionValue> = {};
  const positionals: string[] = [];
  const shortNames = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) if (def.short !== undefined) shortNames.set(def.short, name);

  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (arg.length < 2 || !arg.startsWith('-')) {
      if (settings.stopAtPositional) return { options, positionals, rest: argv.slice(index) };
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
      inline = equals < 0 ? undefined : arg.slice(equals + 1);
    } else {
      if (arg.length !== 2) throw usageError(subject, `unknown option ${arg}`);
      const long = shortNames.get(arg.slice(1));
      if (long === undefined) throw usageError(subject, `unknown option ${arg}`);
      name = long;
    }
    const def = defs[name];
    if (def === undefined) throw usageError(subject, `unknown option --${name}`);
    if (def.kind === 'boolean') {
      if (inline !== undefined) throw usageError(subject, `--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (index + 1 >= argv.length) throw usageError(subject, `--${name} needs a value`);
      raw = argv[++index]!;
    }
    options[name] = convert(name, def, raw, subject);
  }
  return { options, positionals, rest: [] };
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
