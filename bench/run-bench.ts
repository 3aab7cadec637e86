/**
 * npm run bench [-- --quick] [-- --json <file>] [-- --plots <dir>] [-- --only <item,...>]
 *
 * Runs every item in a child process of its own, one after the other, with a progress line on
 * stderr, then prints the tables (stdout) and writes the machine-readable results and plots.
 * Benchmarks are not tests: a missed goal is a result; the exit code is non-zero only when a
 * measurement could not be made.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runChild } from './lib/item';
import { describeMachine } from './lib/machine';
import { buildPipeBench } from './lib/native';
import { FULL, QUICK, type Profile } from './lib/profile';
import { writePlots } from './plot-svg';
import { evaluateGoals, markdownTables, STABLE_KEYS, unstableFigures, type BenchResults } from './report';

/** One line per item: a script in dist/bench that answers with its keys. */
const ITEMS = [
  { name: 'off', script: 'off-path.js', title: 'export off: NOOP hook on the host paths' },
  { name: 'floor', script: 'tap-vs-floor.js', title: 'tap vs the C floor and the Python peer' },
  { name: 'ffmpeg', script: 'ffmpeg-cost.js', title: "VAS's FFmpeg CPU, export on/off" },
  { name: 'scaling', script: 'scaling.js', title: 'scaling, cameras at 1080p30' },
  { name: 'alloc', script: 'alloc.js', title: 'allocation per frame' },
  { name: 'memory', script: 'memory.js', title: 'memory' },
  { name: 'readers', script: 'readers.js', title: 'readers: futex wait vs polling, readInto vs memcpy, the writer\'s wake' },
] as const;

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run bench -- [--quick] [--json <file>] [--plots <dir>] [--only ${ITEMS.map((i) => i.name).join(',')}]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { profile: Profile; json: string | null; plots: string | null; only: string[] | null } {
  const options = { profile: FULL, json: null as string | null, plots: null as string | null, only: null as string[] | null };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--quick') options.profile = QUICK;
    else if (arg === '--full') options.profile = FULL;
    else if (arg === '--json') options.json = argv[++index] ?? usage('--json needs a file');
    else if (arg === '--plots') options.plots = argv[++index] ?? usage('--plots needs a directory');
    else if (arg === '--only') {
      options.only = (argv[++index] ?? usage('--only needs item names')).split(',');
      for (const name of options.only) if (!ITEMS.some((item) => item.name === name)) usage(`unknown item ${name}`);
    } else usage(arg === '--help' || arg === '-h' ? '' : `unknown argument ${arg}`);
  }
  return options;
}

/** A status line on stderr: rewritten in place on a terminal, one line every 2 s otherwise. */
function progressLine(): (text: string, force?: boolean) => void {
  const started = Date.now();
  let lastPlain = 0;
  return (text, force = false) => {
    const seconds = Math.round((Date.now() - started) / 1000);
    const line = `[bench ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}] ${text}`;
    if (process.stderr.isTTY === true) process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    else if (force || Date.now() - lastPlain > 2000) {
      lastPlain = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const machine = describeMachine();
  const show = progressLine();
  const results: Record<string, unknown> = {};
  const errors: string[] = [];
  buildPipeBench();
  const items = ITEMS.filter((item) => options.only === null || options.only.includes(item.name));
  for (const [index, item] of items.entries()) {
    const prefix = `(${index + 1}/${items.length}) ${item.title}`;
    show(prefix, true);
    try {
      Object.assign(results, await runChild<Record<string, unknown>>(path.join(__dirname, item.script), { profile: options.profile }, {
        onProgress: (text) => show(`${prefix}: ${text}`),
        timeoutMs: options.profile.name === 'quick' ? 300_000 : 1_800_000,
      }));
    } catch (error) {
      errors.push(`${item.name}: ${(error as Error).message}`);
      show(`${prefix}: FAILED`, true);
    }
  }
  if (process.stderr.isTTY === true) process.stderr.write('\r\x1b[K');
  for (const [key] of STABLE_KEYS) results[key] ??= null;
  results.scaling ??= null;
  const output: BenchResults = {
    schema: 'vas-frame-export-bench/2',
    profile: options.profile.name,
    machine,
    started_at: startedAt.toISOString(),
    duration_s: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    load_average_after: os.loadavg().map((value) => Math.round(value * 100) / 100),
    errors,
    goals: evaluateGoals(results),
    unstable: unstableFigures(results),
    ...results,
    scaling: results.scaling as BenchResults['scaling'],
  };
  process.stdout.write(`\nvas-frame-export benchmarks, ${options.profile.name} profile, ${output.duration_s} s, ` +
    `load average ${machine.loadAverageAtStart.join(' ')} at start, ${output.load_average_after.join(' ')} at end\n`);
  process.stdout.write(`${machine.nproc} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.kernel}\n\n`);
  process.stdout.write(`${markdownTables(output)}\n`);
  const missed = output.goals.filter((goal) => goal.met === false).map((goal) => `${goal.key} = ${goal.median} (goal ${goal.goal})`);
  if (missed.length > 0) process.stdout.write(`\ngoals missed: ${missed.join('; ')}\n`);
  if (options.json !== null) {
    fs.mkdirSync(path.dirname(path.resolve(options.json)), { recursive: true });
    fs.writeFileSync(options.json, `${JSON.stringify(output, null, 2)}\n`);
    process.stdout.write(`\nresults: ${options.json}\n`);
  }
  if (options.plots !== null) for (const file of writePlots(output, options.plots)) process.stdout.write(`plot: ${file}\n`);
  if (errors.length > 0) process.stderr.write(`\n${errors.length} measurement(s) failed:\n${errors.join('\n')}\n`);
  return errors.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
