import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook } from '../../plugin/index';
import { MemoryLogger } from '../support/live-container';
import { PACKAGE_ROOT, exportEnv, makeTempDir, removeTree } from '../hardening/support/harness';

/**
 * The README's "Read frames" snippets, run as printed (camera "front-door", the export dir from
 * AI_FRAME_EXPORT_DIR) against the live writer: an AI engineer's first five minutes must not
 * start with an AttributeError.
 */

const README = path.join(PACKAGE_ROOT, 'README.md');
const CAMERA = 'front-door';
const WIDTH = 64;
const HEIGHT = 32;

/** The first fenced block of `language` in the README's "Read frames" section. */
function snippet(language: string): string {
  const text = fs.readFileSync(README, 'utf8');
  const start = text.indexOf('## Read frames');
  const end = text.indexOf('\n## ', start + 1);
  expect(start, 'README has a "Read frames" section').to.be.at.least(0);
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(text.slice(start, end));
  expect(block, `a ${language} block in "Read frames"`).to.not.equal(null);
  return block![1]!;
}

/** Runs a snippet that loops forever until it printed `lines` lines, then stops it. */
function firstLines(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no ${lines} lines in 20 s; stdout: ${out}; stderr: ${err}`)); }, 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const got = out.split('\n').filter((line) => line !== '');
      if (got.length >= lines) { clearTimeout(timer); child.kill('SIGKILL'); resolve(got.slice(0, lines)); }
    });
    child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('exit', (code) => {
      if (code !== null) { clearTimeout(timer); reject(new Error(`exited ${code} before ${lines} lines; stdout: ${out}; stderr: ${err}`)); }
    });
  });
}

describe('readers: the README snippets run as printed against the live writer', function () {
  this.timeout(60_000);
  let base: string;
  let dir: string;
  let hook: ReturnType<typeof loadDecodeBoundaryHook>;
  let ticker: NodeJS.Timeout;

  before(() => {
    base = makeTempDir('vas-readme-');
    dir = path.join(base, 'vas');
    hook = loadDecodeBoundaryHook(exportEnv(dir), new MemoryLogger());
    hook.onStreamStart(CAMERA, { width: WIDTH, height: HEIGHT });
    const frame = new Uint8Array(WIDTH * HEIGHT * 1.5).fill(128);
    ticker = setInterval(() => hook.onFrame(CAMERA, frame), 20);
  });

  after(() => {
    clearInterval(ticker);
    hook.onStreamStop(CAMERA);
    hook.close();
    removeTree(base);
  });

  it('Python: wait_next, to_bgr and the printed fields', async () => {
    const file = path.join(base, 'snippet.py');
    fs.writeFileSync(file, snippet('python'));
    const env = { ...process.env, AI_FRAME_EXPORT_DIR: dir, PYTHONPATH: path.join(PACKAGE_ROOT, 'src', 'reader', 'python') };
    const lines = await firstLines('/usr/bin/python3', [file], base, env, 3);
    for (const line of lines) {
      // frame_id timestamp_ns (H, W, 3) source size
      expect(line).to.match(new RegExp(`^\\d+ \\d+ \\(${HEIGHT}, ${WIDTH}, 3\\) \\(${WIDTH}, ${HEIGHT}\\)$`));
    }
  });

  it('TypeScript: frames(), toRgb and the printed fields', async () => {
    // The package as an application sees it: node_modules/vas-frame-export (this checkout, built).
    const app = path.join(base, 'app');
    fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });
    fs.symlinkSync(PACKAGE_ROOT, path.join(app, 'node_modules', 'vas-frame-export'));
    // The snippet has no type syntax: it runs as an ES module.
    fs.writeFileSync(path.join(app, 'snippet.mjs'), snippet('ts'));
    const env = { ...process.env, AI_FRAME_EXPORT_DIR: dir };
    const lines = await firstLines(process.execPath, ['snippet.mjs'], app, env, 3);
    for (const line of lines) {
      // frameId width sourceWidth rgb.length
      expect(line).to.match(new RegExp(`^\\d+ ${WIDTH} ${WIDTH} ${WIDTH * HEIGHT * 3}$`));
    }
  });
});
