import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NOOP_HOOK, loadDecodeBoundaryHook } from '../../plugin/index';
import { MemoryLogger } from '../support/live-container';

const PLUGIN = path.resolve(__dirname, '..', '..', 'plugin', 'index.js');
const HEAVY = ['tsyringe', 'reflect-metadata', 'koffi', 'ffi-rs'];

/** Loads the plugin entry in a fresh process and reports which heavy modules it loaded. */
function loadInChild(env: Record<string, string>): { same: boolean; frozen: boolean; heavy: string[] } {
  const script = `
    const plugin = require(${JSON.stringify(PLUGIN)});
    const hook = plugin.loadDecodeBoundaryHook();
    const heavy = ${JSON.stringify(HEAVY)}.filter((name) =>
      Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/') || file.includes('/node_modules/@koromix/') || file.includes('/node_modules/@yuuang/')));
    process.stdout.write(JSON.stringify({ same: hook === plugin.NOOP_HOOK, frozen: Object.isFrozen(hook), heavy }));`;
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...env };
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8' }));
}

describe('no-op path: flag off', () => {
  const dir = path.join(os.tmpdir(), `vas-noop-${process.pid}`);

  it('returns NOOP_HOOK, frozen, and loads none of tsyringe, reflect-metadata, koffi, ffi-rs', () => {
    for (const flag of [undefined, 'false', '0', 'FALSE']) {
      const env: Record<string, string> = { AI_FRAME_EXPORT_DIR: dir };
      if (flag !== undefined) env.AI_FRAME_EXPORT_ENABLED = flag;
      expect(loadInChild(env), String(flag)).to.deep.equal({ same: true, frozen: true, heavy: [] });
    }
  });

  it('the same check fails when the flag is on (the probe can see heavy modules)', () => {
    const on = loadInChild({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir });
    expect(on.same).to.equal(false);
    expect(on.heavy).to.include.members(['tsyringe', 'reflect-metadata', 'koffi']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates no file or directory and changes nothing when called', () => {
    const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_DIR: dir });
    expect(hook).to.equal(NOOP_HOOK);
    hook.onStreamStart('cam1', { width: 64, height: 32 });
    hook.onFrame('cam1', new Uint8Array(3072));
    const output = hook.ffmpegOutput('cam1', 3);
    hook.onProcessSpawned('cam1', process);
    hook.onStreamStop('cam1');
    hook.close();
    expect(fs.existsSync(dir)).to.equal(false);
    expect(output.args).to.have.length(0);
    expect(output.stdio).to.have.length(0);
    expect(Object.isFrozen(output) && Object.isFrozen(output.args) && Object.isFrozen(output.stdio)).to.equal(true);
    expect(hook.ffmpegOutput('cam2', 5), 'one constant, no allocation').to.equal(output);
    expect(hook.latestFrame('cam1')).to.equal(null);
    expect(() => { (NOOP_HOOK as { onFrame: unknown }).onFrame = null; }).to.throw(TypeError);
  });

  it('an unrecognised flag value warns once, naming it, and stays off', () => {
    const logger = new MemoryLogger();
    expect(loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'on' }, logger)).to.equal(NOOP_HOOK);
    expect(logger.lines).to.have.length(1);
    expect(logger.lines[0]).to.match(/^warning: AI_FRAME_EXPORT_ENABLED="on"/);
  });

  it('an invalid value with the flag on gives one error line and NOOP_HOOK', () => {
    const logger = new MemoryLogger();
    expect(loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_WIDTH: '641' }, logger)).to.equal(NOOP_HOOK);
    expect(logger.lines).to.deep.equal(['error: AI_FRAME_WIDTH="641" is invalid: expected an even integer from 16 to 7680 (default 1280); frame export is off']);
  });
});
