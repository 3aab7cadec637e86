/**
 * One status rule set, three readers (format spec section 6): the same exports, made by the
 * test-only Python writer (make_fake_export.py) in the states the spec names, are judged by the
 * TypeScript FrameReader, the Python reader (vas_frames.py --status) and the C reader
 * (vas_frames_reader_status through support/c_reader_probe.c). All three must give the status
 * the spec says, so a rule changed in one language only fails here.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FrameReader } from '../../src/reader/frame-reader';
import { zombieProcess } from '../support/zombie';

const REPO = path.resolve(__dirname, '..', '..', '..');
const READERS = path.join(REPO, 'test', 'readers');
const FAKE = path.join(READERS, 'make_fake_export.py');
const PYTHON_READER = path.join(REPO, 'src', 'reader', 'python', 'vas_frames.py');
const PYTHON = '/usr/bin/python3';

interface Scenario {
  readonly name: string;
  /** make_fake_export.py create options, or null for no export at all. */
  readonly args: readonly string[] | null;
  readonly expected: string;
}

describe('readers: one status rule set in TypeScript, Python and C (format spec 6)', function () {
  this.timeout(120_000);
  let work: string;
  let probe: string;
  let zombie: { parent: ChildProcess; pid: number };
  const otherNamespace = String(fs.statSync('/proc/self/ns/pid').ino + 1);

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-status-conf-'));
    probe = path.join(work, 'c_reader_probe');
    execFileSync('gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-I', path.join(REPO, 'src', 'reader', 'c'),
      '-o', probe, path.join(READERS, 'support', 'c_reader_probe.c')]);
    zombie = await zombieProcess();
  });

  after(() => {
    zombie.parent.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  });

  function scenarios(): Scenario[] {
    return [
      { name: 'no export', args: null, expected: 'not-present' },
      { name: 'a live writer with frames', args: ['--frames', '3'], expected: 'live' },
      { name: 'a version 1 export', args: ['--frames', '3', '--version', '1'], expected: 'live' },
      { name: 'the stream ended (IDLE)', args: ['--frames', '3', '--idle'], expected: 'idle' },
      { name: 'STOPPED, files still there', args: ['--frames', '2', '--stopped', '--keep-files'], expected: 'not-present' },
      { name: 'writer pid gone (same pid namespace)', args: ['--frames', '2', '--pid', 'dead'], expected: 'writer-dead' },
      { name: 'writer pid a zombie (same pid namespace)', args: ['--frames', '2', '--pid', String(zombie.pid)], expected: 'writer-dead' },
      { name: 'another pid namespace, heartbeat fresh, pid not running here', args: ['--frames', '2', '--pid', 'dead', '--pidns', otherNamespace], expected: 'live' },
      { name: 'another pid namespace, heartbeat 3 s old', args: ['--frames', '2', '--pidns', otherNamespace, '--heartbeat-age-ms', '3000'], expected: 'writer-dead' },
      { name: 'status block caught mid-update (one BUSY look)', args: ['--frames', '2', '--torn', 'status-odd'], expected: 'live' },
      { name: 'an unknown state', args: ['--frames', '2', '--override', 'state=7'], expected: 'invalid' },
      { name: 'generation 0', args: ['--frames', '2', '--override', 'generation=0'], expected: 'invalid' },
      { name: 'frame.data too short', args: ['--data-size', '4096'], expected: 'invalid' },
    ];
  }

  it('every reader reports the status the spec gives, for every state the spec names', () => {
    const table: string[] = [];
    for (const scenario of scenarios()) {
      const dir = fs.mkdtempSync(path.join(work, 'dir-'));
      if (scenario.args !== null) execFileSync(PYTHON, [FAKE, 'create', '--dir', dir, '--camera', 'cam', ...scenario.args]);

      const reader = FrameReader.open('cam', { dir });
      const typescript = reader.status();
      reader.close();

      const py = spawnSync(PYTHON, [PYTHON_READER, '--status', '--dir', dir, 'cam'], { encoding: 'utf8' });
      const python = (JSON.parse(py.stdout.trim().split('\n').pop() || '{}') as { status?: string }).status ?? `exit ${py.status}: ${py.stderr}`;

      const c = spawnSync(probe, [dir, 'cam'], { input: 'status\n', encoding: 'utf8' });
      const cStatus = (JSON.parse(c.stdout.trim().split('\n')[0] || '{}') as { status?: string }).status ?? `exit ${c.status}: ${c.stderr}`;

      table.push(`${scenario.name}: typescript ${typescript}, python ${python}, c ${cStatus} (spec: ${scenario.expected})`);
      expect({ typescript, python, c: cStatus }, scenario.name).to.deep.equal({ typescript: scenario.expected, python: scenario.expected, c: scenario.expected });
    }
    console.log(table.map((line) => `      ${line}`).join('\n'));
  });
});
