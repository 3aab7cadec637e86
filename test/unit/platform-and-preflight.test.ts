import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NOOP_HOOK, loadDecodeBoundaryHook } from '../../plugin/index';
import { FrameReader } from '../../src/reader/frame-reader';
import { preflightFfmpeg } from '../../src/tap/ffmpeg-preflight';
import { MemoryLogger } from '../support/live-container';

const FFMPEG_4 = require.resolve('@ffmpeg-installer/linux-x64/ffmpeg');

function withArch<T>(arch: string, body: () => T): T {
  const original = Object.getOwnPropertyDescriptor(process, 'arch')!;
  Object.defineProperty(process, 'arch', { value: arch });
  try {
    return body();
  } finally {
    Object.defineProperty(process, 'arch', original);
  }
}

describe('platform: x86-64 only (format spec 5.3)', () => {
  const dir = path.join(os.tmpdir(), `vas-arch-${process.pid}`);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const arch of ['arm64', 'arm', 'ppc64', 'riscv64']) {
    it(`on ${arch} the flag on gives NOOP_HOOK and one line saying why, and creates nothing`, () => {
      const logger = new MemoryLogger();
      const hook = withArch(arch, () => loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir }, logger));
      expect(hook).to.equal(NOOP_HOOK);
      expect(logger.lines).to.have.length(1);
      expect(logger.lines[0]).to.match(new RegExp(`^error: frame export needs an x86-64 CPU \\(this is ${arch}\\).*torn frames; frame export is off$`));
      expect(fs.existsSync(dir)).to.equal(false);
    });
  }

  it('on arm64 the TypeScript reader refuses to open, saying why', () => {
    expect(() => withArch('arm64', () => FrameReader.open('cam1', { dir }))).to.throw(/needs an x86-64 CPU \(this is arm64\)/);
  });

  it('on arm64 with the flag off nothing is said', () => {
    const logger = new MemoryLogger();
    expect(withArch('arm64', () => loadDecodeBoundaryHook({}, logger))).to.equal(NOOP_HOOK);
    expect(logger.lines).to.deep.equal([]);
  });
});

describe('preflight: the tap arguments are run through VAS\'s FFmpeg before any camera gets them', function () {
  this.timeout(60_000);

  it('FFmpeg 5.1 (Debian) accepts -fps_mode passthrough', () => {
    expect(preflightFfmpeg('ffmpeg', 320, 180)).to.deep.include({ accepted: true, fpsModeOption: '-fps_mode', sourceProbe: true });
  });

  it('FFmpeg 4.1 (npm static) rejects -fps_mode; its equivalent -vsync passthrough is used', () => {
    const verdict = preflightFfmpeg(FFMPEG_4, 320, 180);
    expect(verdict).to.deep.include({ accepted: true, fpsModeOption: '-vsync', sourceProbe: true });
  });

  it('the hook with FFmpeg 4.1 hands out the adapted arguments and says so once', () => {
    const logger = new MemoryLogger();
    const dir = fs.mkdtempSync('/dev/shm/vas-preflight-');
    try {
      const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_EXPORT_FFMPEG: FFMPEG_4 }, logger);
      expect(hook.ffmpegOutput('cam1', 3).args).to.include('-vsync').and.not.include('-fps_mode');
      expect(logger.lines).to.have.length(1);
      expect(logger.lines[0]).to.match(/^info: FFmpeg N-\S+ does not know -fps_mode; the frame tap uses its equivalent -vsync passthrough$/);
      hook.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a binary that rejects the arguments keeps export off with one line naming version and what it said', () => {
    const fake = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vas-fake-ffmpeg-')), 'ffmpeg');
    fs.writeFileSync(fake, '#!/bin/sh\nif [ "$1" = -version ]; then echo "ffmpeg version 3.0-fake"; exit 0; fi\n' +
      'echo "Unrecognized option \'map\'." >&2\necho "Error splitting the argument list: Option not found" >&2\nexit 1\n', { mode: 0o755 });
    const logger = new MemoryLogger();
    const dir = path.join(os.tmpdir(), `vas-preflight-off-${process.pid}`);
    const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_EXPORT_FFMPEG: fake }, logger);
    expect(hook).to.equal(NOOP_HOOK);
    expect(fs.existsSync(dir), 'no export dir').to.equal(false);
    expect(logger.lines).to.deep.equal([
      `error: FFmpeg 3.0-fake at ${fs.realpathSync(fake)} rejects the frame tap's arguments (Unrecognized option 'map'.); frame export is off, cameras start unchanged`,
    ]);
    fs.rmSync(path.dirname(fake), { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an FFmpeg that is not there keeps export off with one line', () => {
    const logger = new MemoryLogger();
    const dir = path.join(os.tmpdir(), `vas-preflight-missing-${process.pid}`);
    const env = { AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_EXPORT_FFMPEG: '/nonexistent/ffmpeg' };
    expect(loadDecodeBoundaryHook(env, logger)).to.equal(NOOP_HOOK);
    expect(logger.lines).to.deep.equal(['error: FFmpeg "/nonexistent/ffmpeg" (AI_FRAME_EXPORT_FFMPEG) was not found; frame export is off']);
    expect(fs.existsSync(dir), 'no export dir either').to.equal(false);
  });
});
