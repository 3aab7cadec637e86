/**
 * The real FFmpeg tap, end to end, for every FFmpeg the tests cover (Debian's 5.1, the npm
 * static 4.1): colour bars from an H.264 "camera" tagged BT.601 or BT.709, through VAS-like
 * FFmpeg (libx264 to RTP) with the tap, into shared memory. The header records the matrix and
 * range and the camera's own picture size; toRgb (and the CLI's PNG, the same function) agrees
 * within +-3 per channel with FFmpeg's own conversion of the same NV12 frame to rgb24.
 */
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../../plugin/index';
import type { Frame } from '../../src/meta/frame-meta';
import { FrameReader } from '../../src/reader/frame-reader';
import { toRgb } from '../../src/reader/nv12-to-rgb';
import { RtpReceiver } from '../fixtures/rtp-receiver';
import { MemoryLogger } from '../support/live-container';

const FFMPEGS = { 'FFmpeg 5.1 (Debian)': 'ffmpeg', 'FFmpeg 4.1 (npm static)': require.resolve('@ffmpeg-installer/linux-x64/ffmpeg') };
const SOURCE = { width: 640, height: 360 };
const EXPORT = { width: 320, height: 180 };

/** H.264 colour bars whose YUV is in `matrix`, tagged so (a camera's stream). */
function cameraFile(dir: string, matrix: 'bt601' | 'bt709'): string {
  const file = path.join(dir, `bars-${matrix}.mp4`);
  const tag = matrix === 'bt709' ? 'bt709' : 'smpte170m';
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `smptehdbars=size=${SOURCE.width}x${SOURCE.height}:rate=25,format=rgb24`, '-t', '4',
    '-vf', `scale=out_color_matrix=${matrix}:out_range=tv,format=yuv420p,setparams=colorspace=${tag}:range=tv`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-colorspace', tag, '-color_range', 'tv', file]);
  return file;
}

/**
 * FFmpeg's own NV12 -> rgb24 of `frame`, with the frame's matrix and range, and the chroma
 * sampling of format spec 3.3 (one U,V pair for its 2x2 block: `neighbor`; FFmpeg's default
 * interpolates chroma across block edges, up to 57 levels away on bar edges).
 */
function ffmpegRgb(dir: string, frame: Frame, matrix: string): Buffer {
  const nv12 = path.join(dir, 'frame.nv12');
  fs.writeFileSync(nv12, frame.data);
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error',
    '-f', 'rawvideo', '-pix_fmt', 'nv12', '-s', `${frame.meta.width}x${frame.meta.height}`, '-i', nv12,
    '-vf', `scale=in_color_matrix=${matrix}:in_range=${frame.meta.colorRange === 'limited' ? 'tv' : 'pc'}:flags=neighbor+accurate_rnd+full_chroma_int,format=rgb24`,
    '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 1 << 24 });
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

for (const [name, binary] of Object.entries(FFMPEGS)) {
  describe(`integration: the real FFmpeg tap with ${name}: colour and source geometry`, function () {
    this.timeout(120_000);
    let work: string;
    let dir: string;
    let hook: DecodeBoundaryHook;
    let ffmpeg: ChildProcess | null = null;
    const rtp = new RtpReceiver();

    before(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-colour-'));
      await rtp.start();
    });
    after(async () => {
      await rtp.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });
    afterEach(() => {
      ffmpeg?.kill('SIGKILL');
      ffmpeg = null;
      hook.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const matrix of ['bt601', 'bt709'] as const) {
      it(`${matrix} camera: header says ${matrix} limited and ${SOURCE.width}x${SOURCE.height}; toRgb matches FFmpeg within 3`, async () => {
        const source = cameraFile(work, matrix);
        dir = fs.mkdtempSync('/dev/shm/vas-colour-');
        const logger = new MemoryLogger();
        hook = loadDecodeBoundaryHook({
          AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_EXPORT_FFMPEG: binary, AI_FRAME_COLOR_MATRIX: matrix,
          AI_FRAME_WIDTH: String(EXPORT.width), AI_FRAME_HEIGHT: String(EXPORT.height),
        }, logger);
        const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'ignore', 'pipe'];
        const tap = hook.ffmpegOutput('cam1', stdio.length);
        expect(tap.args, logger.lines.join('\n')).to.include('yuv4mpegpipe');
        rtp.reset();
        ffmpeg = spawn(binary, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-i', source,
          '-map', '0:v:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-f', 'rtp', `rtp://127.0.0.1:${rtp.port}`,
          ...tap.args], { stdio: [...stdio, ...tap.stdio] });
        ffmpeg.stderr!.resume();
        hook.onProcessSpawned('cam1', ffmpeg);

        const reader = FrameReader.open('cam1', { dir });
        let frame: Frame | null = null;
        // The probe is read on this (the main) thread: wait without blocking it.
        for (let attempt = 0; attempt < 200 && (frame === null || frame.meta.frameId < 5 || frame.meta.sourceWidth === 0); attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          frame = reader.latest() ?? frame;
        }
        expect(frame, 'frames exported').not.to.equal(null);
        expect(frame!.meta).to.deep.include({
          width: EXPORT.width, height: EXPORT.height, colorMatrix: matrix, colorRange: 'limited',
          sourceWidth: SOURCE.width, sourceHeight: SOURCE.height,
        });
        expect(rtp.stats().packets, 'RTP flows beside the tap').to.be.greaterThan(0);

        const ours = toRgb(frame!);
        const theirs = ffmpegRgb(work, frame!, matrix);
        expect(theirs.length).to.equal(ours.length);
        const difference = maxDifference(ours, theirs);
        console.log(`      ${name}, ${matrix}: toRgb vs FFmpeg rgb24, max difference per channel ${difference}; source ${frame!.meta.sourceWidth}x${frame!.meta.sourceHeight}`);
        expect(difference, 'max difference per channel from FFmpeg\'s rgb24').to.be.at.most(3);
        // The check can fail: the other matrix is far off on the same bars.
        const wrong = ffmpegRgb(work, frame!, matrix === 'bt709' ? 'bt601' : 'bt709');
        expect(maxDifference(ours, wrong), 'the other matrix differs').to.be.greaterThan(10);
        reader.close();
      });
    }
  });
}
