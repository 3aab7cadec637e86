import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The Python and C readers against exports made by test/readers/make_fake_export.py (a tiny
 * Python writer following the spec's writer protocol): no VAS and no TypeScript writer involved.
 * The cross-language conformance test against the real writer lives elsewhere.
 */

const PYTHON = '/usr/bin/python3';

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

const ROOT = repoRoot();
const FAKE = join(ROOT, 'test', 'readers', 'make_fake_export.py');
const READER = join(ROOT, 'src', 'reader', 'python', 'vas_frames.py');
const STANDALONE = join(ROOT, 'test', 'readers', 'test_readers_standalone.sh');

function run(command: string, args: string[], timeoutMs = 30_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw result.error;
  return result;
}

function python(args: string[], timeoutMs?: number): SpawnSyncReturns<string> {
  return run(PYTHON, args, timeoutMs);
}

interface CreateSummary {
  readonly path: string;
  readonly generation: string;
  readonly frame_size: number;
  readonly latest: number;
  readonly frames: ReadonlyArray<{ readonly frame_id: number; readonly checksum: string }>;
}

interface StatusReport {
  readonly status: string;
  readonly error: string | null;
  readonly generation: string | null;
}

function createExport(dir: string, camera: string, extra: string[] = []): CreateSummary {
  const result = python([FAKE, 'create', '--dir', dir, '--camera', camera, '--pid', String(process.pid), ...extra]);
  expect(result.status, result.stderr).to.equal(0);
  return JSON.parse(result.stdout) as CreateSummary;
}

function readerStatus(dir: string, camera: string): StatusReport {
  const result = python([READER, camera, '--dir', dir, '--status']);
  expect(result.status, result.stderr).to.be.oneOf([0, 1]);
  return JSON.parse(result.stdout) as StatusReport;
}

/** A pid that existed a moment ago and is gone now (spawned, exited and reaped). */
function deadPid(): number {
  const child = spawnSync('/bin/true');
  expect(child.pid).to.be.a('number');
  return child.pid;
}

describe('frame-export readers (Python, C) against a fake writer', function () {
  let dir: string;

  before(function () {
    if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import mmap, struct']).status !== 0) this.skip();
  });

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'vas-readers-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports not-present, then live with the latest frame once the export exists', function () {
    expect(readerStatus(dir, 'cam1').status).to.equal('not-present');
    const created = createExport(dir, 'cam1', ['--frames', '6', '--slots', '4']);
    const status = readerStatus(dir, 'cam1');
    expect(status.status).to.equal('live');
    expect(status.generation).to.equal(created.generation);

    const latest = python([READER, 'cam1', '--dir', dir, '--latest', '--checksum']);
    expect(latest.status, latest.stderr).to.equal(0);
    const expected = created.frames.find((f) => f.frame_id === 6)!;
    expect(latest.stdout.trim()).to.match(
      new RegExp(`^frame_id=6 timestamp_ns=\\d+ width=64 height=48 generation=${created.generation} ` +
        `data_size=4608 checksum=${expected.checksum}$`));
  });

  it('reports writer-dead for a writer pid that no longer exists', function () {
    createExport(dir, 'cam1', ['--frames', '1', '--pid', String(deadPid())]);
    expect(readerStatus(dir, 'cam1').status).to.equal('writer-dead');
  });

  it('reports writer-dead for a stale heartbeat when the pid cannot be checked', function () {
    createExport(dir, 'cam1', ['--frames', '1', '--pidns', '0', '--heartbeat-age-ms', '2500']);
    expect(readerStatus(dir, 'cam1').status).to.equal('writer-dead');
  });

  it('reports not-present for a stopped export whose files are still there', function () {
    createExport(dir, 'cam1', ['--frames', '1', '--stopped', '--keep-files']);
    expect(readerStatus(dir, 'cam1').status).to.equal('not-present');
  });

  it('reports idle once the stream has ended, and still serves the last frame', function () {
    const created = createExport(dir, 'cam1', ['--frames', '2', '--idle']);
    const status = readerStatus(dir, 'cam1');
    expect(status.status).to.equal('idle');
    expect(status.generation).to.equal(created.generation);
    const latest = python([READER, 'cam1', '--dir', dir, '--latest']);
    expect(latest.status, latest.stderr).to.equal(0);
    expect(latest.stdout).to.match(/^frame_id=2 /);
  });

  it('returns no frame for a slot left odd or lapped (counted as skipped)', function () {
    createExport(dir, 'odd', ['--frames', '3', '--slots', '1', '--torn', 'odd']);
    createExport(dir, 'lapped', ['--frames', '5', '--slots', '4', '--torn', 'lapped']);
    for (const camera of ['odd', 'lapped']) {
      const result = python([READER, camera, '--dir', dir, '--latest']);
      expect(result.status, camera).to.equal(1);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(/no valid frame \(status=live, skipped=4\)/);
    }
  });

  it('refuses an invalid header with a message naming the field and both values', function () {
    createExport(dir, 'cam1', ['--override', 'pixel_format=0x30323449']);
    const status = readerStatus(dir, 'cam1');
    expect(status.status).to.equal('invalid');
    expect(status.error).to.equal('pixel_format 0x30323449 is not NV12 (0x3231564e)');
  });

  it('follows a restart: frames of both generations, restarted reported', function () {
    this.timeout(20_000);
    // A live writer in the background and the reader CLI in the foreground.
    const script = [
      'import subprocess, sys',
      `w = subprocess.Popen([sys.executable, ${JSON.stringify(FAKE)}, 'serve', '--dir', ${JSON.stringify(dir)},`,
      "    '--camera', 'cam1', '--fps', '50', '--seconds', '2.5', '--restart-after', '1.0'], stdout=subprocess.PIPE, text=True)",
      `r = subprocess.run([sys.executable, ${JSON.stringify(READER)}, 'cam1', '--dir', ${JSON.stringify(dir)},`,
      "    '--seconds', '2.0'], capture_output=True, text=True)",
      'out, _ = w.communicate()',
      'sys.stdout.write(out + "--\\n" + r.stdout + "--\\n" + r.stderr)',
    ].join('\n');
    const result = python(['-c', script], 15_000);
    expect(result.status, result.stderr).to.equal(0);
    const [writerOut, readerOut, readerErr] = result.stdout.split('--\n') as [string, string, string];
    const generations = writerOut.trim().split('\n').map((line) => JSON.parse(line) as { event: string; generation?: string })
      .filter((e) => e.event === 'generation').map((e) => e.generation!);
    expect(generations).to.have.length(2);
    const seen = new Set(readerOut.trim().split('\n').map((line) => /generation=(\d+)/.exec(line)![1]));
    expect([...seen].sort()).to.deep.equal([...generations].sort());
    expect(readerErr).to.contain('status=restarted');
  });

  it('passes the standalone Python and C reader suites', function () {
    this.timeout(180_000);
    if (spawnSync('gcc', ['--version']).status !== 0) this.skip();
    const result = run('/bin/sh', [STANDALONE], 170_000);
    const summary = /Ran (\d+) tests?[\s\S]*\n(OK.*|FAILED.*)\s*$/.exec(result.stderr);
    expect(result.status, result.stderr.slice(-4000)).to.equal(0);
    expect(summary, result.stderr.slice(-2000)).to.not.equal(null);
    expect(Number(summary![1])).to.be.greaterThan(50);
    expect(summary![2]).to.match(/^OK/);
  });
});
