/**
 * npm run bench [-- --quick] [-- --json <file>] [-- --plots <dir>] [-- --only <item,...>]
 *
 * Runs every measurement in a child process of its own, one after the other, with a progress
 * line on stderr, then prints the table (stdout) and writes the machine-readable results.
 * Benchmarks are not tests: nothing here fails on a missed goal; the exit code is non-zero only
 * when a measurement could not be made.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runChild } from './lib/item';
import { describeMachine } from './lib/machine';
import { FULL, QUICK, type Profile } from './lib/profile';
import { summarize } from './lib/stats';
import { evaluateGoals, markdownTables, STABLE_KEYS, type BenchResults } from './report';
import { writePlots } from './plot-svg';

interface Options {
  readonly profile: Profile;
  readonly json: string | null;
  readonly plots: string | null;
  readonly only: readonly string[] | null;
}

const ITEMS = [
  { name: 'off', script: 'off-path.js', title: 'export off: NOOP hook on the host paths' },
  { name: 'tap', script: 'tap-cost.js', title: 'tap path CPU vs memcpy' },
  { name: 'naive', script: 'naive-vs-ours.js', title: 'naive exporter vs ours' },
  { name: 'scaling', script: 'scaling.js', title: 'scaling 1080p30' },
  { name: 'reader', script: 'reader-cost.js', title: 'reader cost' },
  { name: 'alloc', script: 'alloc.js', title: 'allocation per frame' },
  { name: 'memory', script: 'memory.js', title: 'memory' },
] as const;

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run bench -- [--quick] [--json <file>] [--plots <dir>] [--only ${ITEMS.map((i) => i.name).join(',')}]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  let profile = FULL;
  let json: string | null = null;
  let plots: string | null = null;
  let only: string[] | null = null;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--quick') profile = QUICK;
    else if (arg === '--full') profile = FULL;
    else if (arg === '--json') json = argv[++index] ?? usage('--json needs a file');
    else if (arg === '--plots') plots = argv[++index] ?? usage('--plots needs a directory');
    else if (arg === '--only') {
      only = (argv[++index] ?? usage('--only needs item names')).split(',');
      for (const name of only) if (!ITEMS.some((item) => item.name === name)) usage(`unknown item ${name}`);
    } else if (arg === '--help' || arg === '-h') usage('');
    else usage(`unknown argument ${arg}`);
  }
  return { profile, json, plots, only };
}

/** One status line on stderr: rewritten in place on a terminal, one line per update otherwise. */
class ProgressLine {
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();
  private lastPlain = 0;

  show(text: string, force = false): void {
    const seconds = Math.round((Date.now() - this.started) / 1000);
    const line = `[bench ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}] ${text}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    } else if (force || Date.now() - this.lastPlain > 2000) {
      this.lastPlain = Date.now();
      process.stderr.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const machine = describeMachine();
  const progress = new ProgressLine();
  const results: Record<string, unknown> = {};
  const errors: string[] = [];
  const items = ITEMS.filter((item) => options.only === null || options.only.includes(item.name));
  for (const [index, item] of items.entries()) {
    const prefix = `(${index + 1}/${items.length}) ${item.title}`;
    progress.show(prefix, true);
    try {
      const result = await runChild<Record<string, unknown>>(path.join(__dirname, item.script), { profile: options.profile }, {
        onProgress: (text) => progress.show(`${prefix}: ${text}`),
        timeoutMs: options.profile.name === 'quick' ? 120_000 : 900_000,
      });
      Object.assign(results, result);
    } catch (error) {
      errors.push(`${item.name}: ${(error as Error).message}`);
      progress.show(`${prefix}: FAILED`, true);
      process.stderr.write(`\n${item.name} failed: ${(error as Error).message}\n`);
    }
  }
  progress.done();

  // shm_bytes_per_camera_1080p is computed, not sampled: a Stat of one value like the others.
  if (typeof results.shm_bytes_per_camera_1080p === 'number') {
    results.shm_bytes_per_camera_1080p = summarize([results.shm_bytes_per_camera_1080p]);
  }
  for (const [key] of STABLE_KEYS) if (!(key in results)) results[key] = null;
  if (!('scaling' in results)) results.scaling = null;

  const output: BenchResults = {
    schema: 'vas-frame-export-bench/1',
    profile: options.profile.name,
    machine,
    started_at: startedAt.toISOString(),
    duration_s: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    errors,
    goals: evaluateGoals(results),
    ...results,
    scaling: results.scaling as BenchResults['scaling'],
  };
  process.stdout.write(`\nvas-frame-export benchmarks, ${options.profile.name} profile, ${output.duration_s} s\n`);
  process.stdout.write(`${machine.nproc} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.kernel}\n\n`);
  process.stdout.write(`${markdownTables(output)}\n`);
  const missed = output.goals.filter((goal) => goal.met === false).map((goal) => `${goal.key} = ${goal.median} (goal ${goal.goal})`);
  if (missed.length > 0) process.stdout.write(`\ngoals missed: ${missed.join('; ')}\n`);
  if (options.json !== null) {
    fs.mkdirSync(path.dirname(path.resolve(options.json)), { recursive: true });
    fs.writeFileSync(options.json, `${JSON.stringify(output, null, 2)}\n`);
    process.stdout.write(`\nresults: ${options.json}\n`);
  }
  if (options.plots !== null) {
    for (const file of writePlots(output, options.plots)) process.stdout.write(`plot: ${file}\n`);
  }
  if (errors.length > 0) process.stderr.write(`\n${errors.length} measurement(s) failed:\n${errors.join('\n')}\n`);
  return errors.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
