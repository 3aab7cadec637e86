/** In-process checks of the CLI's pure parts: argument parser, NV12 conversion, table, /proc maps. */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type OptionDefs } from '../../src/cli/args';
import { formatTable } from '../../src/cli/camera-rows';
import { CliError, ExitCode, reportError } from '../../src/cli/errors';
import { nv12ToRgb } from '../../src/reader/nv12-to-rgb';
import { loadDecodeBoundaryHook } from '../../plugin';
import { quietLogger } from './cli-harness';
import { countReaders, fileKey, scanMappings } from '../../src/cli/proc-maps';

const DEFS: OptionDefs = {
  json: { kind: 'boolean', description: '' },
  frames: { kind: 'integer', min: 1, description: '' },
  timeout: { kind: 'number', min: 0, description: '' },
  output: { kind: 'string', short: 'o', description: '' },
};

function usageCode(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error.exitCode;
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('vas-frames parts', () => {
  describe('parseArgs', () => {
    it('reads flags, values, short options, = values and positionals', () => {
      const parsed = parseArgs(['cam', '--json', '--frames', '12', '--timeout=1.5', '-o', 'x.png'], DEFS);
      expect(parsed.positionals).to.deep.equal(['cam']);
      expect(parsed.options).to.deep.equal({ json: true, frames: 12, timeout: 1.5, output: 'x.png' });
    });

    it('treats everything after -- as positionals', () => {
      expect(parseArgs(['--', '--json'], DEFS).positionals).to.deep.equal(['--json']);
    });

    it('stops at the first positional when asked', () => {
      const parsed = parseArgs(['--json', 'ls', '--frames', '3'], DEFS, { stopAtPositional: true });
      expect(parsed.options).to.deep.equal({ json: true });
      expect(parsed.rest).to.deep.equal(['ls', '--frames', '3']);
    });

    it('refuses unknown options, missing and bad values with exit code 2', () => {
      for (const argv of [['--nope'], ['-x'], ['--frames'], ['--frames', 'ten'], ['--frames', '0'], ['--timeout', '-1'], ['--json=yes'], ['-o', '']]) {
        expect(usageCode(() => parseArgs(argv, DEFS)), argv.join(' ')).to.equal(ExitCode.USAGE);
      }
    });
  });

  describe('nv12ToRgb as RGBA (BT.601 limited range)', () => {
    const pixel = (y: number, u: number, v: number): number[] => {
      const frame = new Uint8Array([y, y, y, y, u, v]);
      return [...nv12ToRgb(frame, { width: 2, height: 2, strides: [2, 2], uvOffset: 4, colorMatrix: 'bt601', colorRange: 'limited' }, undefined, 4).slice(0, 4)];
    };

    it('maps video black, white and the primaries', () => {
      expect(pixel(16, 128, 128)).to.deep.equal([0, 0, 0, 255]);
      expect(pixel(235, 128, 128)).to.deep.equal([255, 255, 255, 255]);
      expect(pixel(81, 90, 240)).to.deep.equal([254, 0, 0, 255]);
      expect(pixel(145, 54, 34)).to.deep.equal([0, 255, 1, 255]);
      expect(pixel(41, 240, 110)).to.deep.equal([0, 0, 255, 255]);
    });

    it('clamps out-of-range results', () => {
      expect(pixel(0, 128, 128)).to.deep.equal([0, 0, 0, 255]);
      expect(pixel(255, 255, 255)).to.deep.equal([255, 125, 255, 255]);
    });

    it('shares one chroma pair per 2x2 block and honours strides', () => {
      // 4x2 frame, y_stride 6 and uv_stride 6 (padding bytes ignored).
      const frame = new Uint8Array(6 * 2 + 6);
      frame.set([16, 16, 235, 235, 99, 99], 0);
      frame.set([16, 16, 235, 235, 99, 99], 6);
      frame.set([128, 128, 128, 128, 0, 0], 12);
      const rgba = nv12ToRgb(frame, { width: 4, height: 2, strides: [6, 6], uvOffset: 12, colorMatrix: 'bt601', colorRange: 'limited' }, undefined, 4);
      expect([...rgba.slice(0, 4)]).to.deep.equal([0, 0, 0, 255]);
      expect([...rgba.slice(12, 16)]).to.deep.equal([255, 255, 255, 255]);
      expect([...rgba.slice(16 + 8, 16 + 12)]).to.deep.equal([255, 255, 255, 255]);
    });

    it('refuses a frame that is too short', () => {
      expect(() => nv12ToRgb(new Uint8Array(5), { width: 2, height: 2, strides: [2, 2], uvOffset: 4, colorMatrix: 'bt601', colorRange: 'limited' })).to.throw(/too short/);
    });
  });

  it('formatTable aligns text left and numbers right', () => {
    const lines = formatTable(['NAME', 'N'], [['a', '1'], ['long', '100']], new Set([0]));
    expect(lines).to.deep.equal(['NAME    N', 'a       1', 'long  100']);
  });

  it('reportError prints one line and maps system errors', () => {
    const lines: string[] = [];
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', path: '/x' });
    expect(reportError(enoent, (line) => lines.push(line))).to.equal(ExitCode.NOT_FOUND);
    const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/y' });
    expect(reportError(eacces, (line) => lines.push(line))).to.equal(ExitCode.PERMISSION);
    expect(reportError(new TypeError('boom\n    at somewhere'), (line) => lines.push(line))).to.equal(ExitCode.ERROR);
    expect(lines).to.deep.equal([
      'vas-frames: /x: no such file or directory',
      'vas-frames: /y: permission denied',
      'vas-frames: internal error: boom',
    ]);
  });

  it('scanMappings finds the writer mapping its export files, writable, by device and inode', () => {
    const dir = fs.mkdtempSync('/dev/shm/vas-cli-test-');
    const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir }, quietLogger);
    try {
      hook.onStreamStart('cam-m', { width: 32, height: 16 });
      const keys = ['frame.meta', 'frame.data'].map((name) => fileKey(path.join(dir, 'cam-m', name)));
      for (const key of keys) expect(key).to.match(/^[0-9a-f]+:[0-9a-f]+:[0-9]+$/);
      expect(fileKey(path.join(dir, 'no-such-file'))).to.equal(null);
      const scan = scanMappings(keys as string[]);
      for (const key of keys) {
        expect([...scan.get(key!)!.pids]).to.include(process.pid);
        expect([...scan.get(key!)!.writers]).to.include(process.pid);
      }
      // The writer is never a reader, whether excluded by pid or by its writable mapping.
      expect(countReaders(scan, keys, [])).to.equal(0);
      expect(countReaders(scan, [...keys, null], [process.pid])).to.equal(0);
    } finally {
      hook.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
