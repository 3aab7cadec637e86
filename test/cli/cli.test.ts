/**
 * The vas-frames CLI, compiled, run as a separate process against real exports in /dev/shm that
 * this process writes through the plugin hook. Functional checks only: no timing assertions.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../../plugin';
import { FrameReader } from '../../src/reader/frame-reader';
import {
  DIST_PLUGIN, DIST_SRC, baseEnv, expectOneLineError, makeExportDir, makeHook, nv12Size, quietLogger, runCli, startCli,
  waitForExit, waitForLine,
} from './cli-harness';

const LS_KEYS = [
  'camera_id', 'width', 'height', 'pixel_format', 'slots', 'frames_written', 'last_frame_id', 'fps',
  'last_frame_age_ms', 'writer_pid', 'writer_alive', 'readers',
];

interface LsRecord {
  camera_id: string;
  width: number;
  height: number;
  pixel_format: string;
  slots: number;
  frames_written: number;
  last_frame_id: number;
  fps: number | null;
  last_frame_age_ms: number | null;
  writer_pid: number;
  writer_alive: boolean;
  readers: number;
}

async function lsJson(dir: string): Promise<LsRecord[]> {
  const result = await runCli(['ls', '--json', '--dir', dir]);
  expect(result.code, result.stderr).to.equal(0);
  return JSON.parse(result.stdout) as LsRecord[];
}

function byCamera(records: LsRecord[], cameraId: string): LsRecord {
  const record = records.find((candidate) => candidate.camera_id === cameraId);
  if (record === undefined) throw new Error(`${cameraId} missing from ${JSON.stringify(records)}`);
  return record;
}

/** A child node process running `script` (CommonJS) with `args` as its argv[1...], and the dist paths and DIR in its env. */
function spawnNode(script: string, dir: string, ...args: string[]): ChildProcess {
  return spawn(process.execPath, ['-e', script, ...args], {
    env: { ...baseEnv(), DIST_SRC, DIST_PLUGIN, DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

const READER_CHILD = `
  const { FrameReader } = require(process.env.DIST_SRC + '/reader/frame-reader');
  const reader = FrameReader.open(process.argv[1], { dir: process.env.DIR });
  const timer = setInterval(() => {
    if (reader.status() === 'live') { clearInterval(timer); console.log('READY'); setInterval(() => reader.latest(), 50); }
  }, 20);
`;

const WRITER_CHILD = `
  const { loadDecodeBoundaryHook } = require(process.env.DIST_PLUGIN);
  const quiet = { info() {}, warn() {}, error() {} };
  const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: process.env.DIR, AI_FRAME_BUFFER_CAPACITY: '4' }, quiet);
  hook.onStreamStart(process.argv[1], { width: 32, height: 16 });
  hook.onFrame(process.argv[1], new Uint8Array(32 * 16 * 3 / 2));
  console.log('READY');
  setInterval(() => {}, 1000);
`;

describe('vas-frames CLI', function () {
  this.timeout(90_000);
  let dir: string;
  let hook: DecodeBoundaryHook;
  const children: ChildProcess[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeEach(() => {
    dir = makeExportDir();
    hook = makeHook(dir);
  });

  afterEach(async () => {
    for (const timer of timers.splice(0)) clearInterval(timer);
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await waitForExit(child);
    }
    hook.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function pump(cameraId: string, width: number, height: number, everyMs: number): void {
    const frame = new Uint8Array(nv12Size(width, height));
    let counter = 0;
    timers.push(setInterval(() => {
      frame.fill(counter++ & 0xff);
      hook.onFrame(cameraId, frame);
    }, everyMs));
  }

  describe('ls', () => {
    it('--json prints one array with exactly the documented keys, in order, and right values', async () => {
      hook.onStreamStart('cam-a', { width: 64, height: 32 });
      hook.onStreamStart('cam-b', { width: 32, height: 16 });
      for (let index = 0; index < 5; index++) hook.onFrame('cam-a', new Uint8Array(nv12Size(64, 32)));

      const records = await lsJson(dir);
      expect(records).to.be.an('array').with.lengthOf(2);
      for (const record of records) expect(Object.keys(record)).to.deep.equal(LS_KEYS);

      const a = byCamera(records, 'cam-a');
      expect(a).to.include({ width: 64, height: 32, pixel_format: 'NV12', slots: 4, frames_written: 5, last_frame_id: 5 });
      expect(a).to.include({ writer_pid: process.pid, writer_alive: true, readers: 0 });
      expect(a.fps).to.be.a('number');
      expect(a.last_frame_age_ms).to.be.a('number').and.to.be.at.least(0);

      const b = byCamera(records, 'cam-b');
      expect(b).to.include({ width: 32, height: 16, slots: 4, frames_written: 0, last_frame_id: 0, writer_pid: process.pid, writer_alive: true });
      expect(b.last_frame_age_ms).to.equal(null);
    });

    it('measures fps from frames written while it samples', async () => {
      hook.onStreamStart('cam-fps', { width: 32, height: 16 });
      pump('cam-fps', 32, 16, 10);
      const record = byCamera(await lsJson(dir), 'cam-fps');
      expect(record.fps).to.be.a('number').and.to.be.greaterThan(0);
      expect(record.frames_written).to.be.greaterThan(0);
    });

    it('prints an aligned table by default', async () => {
      hook.onStreamStart('cam-a', { width: 64, height: 32 });
      hook.onStreamStart('camera-with-long-id', { width: 32, height: 16 });
      hook.onFrame('cam-a', new Uint8Array(nv12Size(64, 32)));
      const result = await runCli(['ls', '--dir', dir]);
      expect(result.code, result.stderr).to.equal(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).to.have.lengthOf(3);
      expect(lines[0]).to.match(/^CAMERA\s+WIDTH\s+HEIGHT\s+FORMAT\s+SLOTS\s+FRAMES\s+LAST_ID\s+FPS\s+AGE_MS\s+PID\s+ALIVE\s+READERS$/);
      // Right-aligned last column: every line ends at the same column.
      expect(new Set(lines.map((line) => line.length)).size).to.equal(1);
      // Columns start at the same offsets.
      expect(lines[1]!.indexOf('64')).to.equal(lines[0]!.indexOf('WIDTH') + 'WIDTH'.length - 2);
      expect(lines[1]).to.match(/^cam-a\s/);
      expect(lines[2]).to.match(/^camera-with-long-id\s/);
    });

    it('reports an invalid export on one stderr line (exit 5) and still lists the others', async () => {
      hook.onStreamStart('cam-ok', { width: 32, height: 16 });
      fs.mkdirSync(path.join(dir, 'cam-bad'));
      fs.writeFileSync(path.join(dir, 'cam-bad', 'frame.meta'), Buffer.alloc(192));
      fs.writeFileSync(path.join(dir, 'cam-bad', 'frame.data'), Buffer.alloc(4096));
      const result = await runCli(['ls', '--json', '--dir', dir]);
      expect(result.code).to.equal(5);
      expect(expectOneLineError(result.stderr)).to.match(/^vas-frames: cam-bad: /);
      expect((JSON.parse(result.stdout) as LsRecord[]).map((record) => record.camera_id)).to.deep.equal(['cam-ok']);
    });

    it('uses AI_FRAME_EXPORT_DIR when --dir is absent and reports an empty dir', async () => {
      const json = await runCli(['ls', '--json'], { env: { ...baseEnv(), AI_FRAME_EXPORT_DIR: dir } });
      expect(json.code, json.stderr).to.equal(0);
      expect(JSON.parse(json.stdout)).to.deep.equal([]);
      const plain = await runCli(['ls', '--dir', dir]);
      expect(plain.code).to.equal(0);
      expect(plain.stdout).to.include('no cameras exported');
    });

    it('counts a separate reader process in readers, and not after it exits', async () => {
      hook.onStreamStart('cam-r', { width: 32, height: 16 });
      hook.onFrame('cam-r', new Uint8Array(nv12Size(32, 16)));
      const child = spawnNode(READER_CHILD, dir, 'cam-r');
      children.push(child);
      await waitForLine(child, /^READY$/);

      const withReader = byCamera(await lsJson(dir), 'cam-r');
      expect(withReader.readers).to.be.at.least(1);
      expect(withReader.writer_pid).to.equal(process.pid);

      child.kill('SIGTERM');
      await waitForExit(child);
      const withoutReader = byCamera(await lsJson(dir), 'cam-r');
      expect(withoutReader.readers).to.equal(0);
    });
  });

  describe('snapshot', () => {
    it('--raw writes exactly the bytes the TypeScript reader returns for the same frame', async () => {
      hook.onStreamStart('cam-raw', { width: 64, height: 32 });
      const written = new Uint8Array(randomBytes(nv12Size(64, 32)));
      hook.onFrame('cam-raw', new Uint8Array(nv12Size(64, 32)));
      hook.onFrame('cam-raw', written);
      const out = path.join(dir, 'out.nv12');
      const result = await runCli(['snapshot', 'cam-raw', '--raw', out, '--dir', dir]);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.trim().split('\n')).to.have.lengthOf(1);
      expect(result.stdout).to.include(out).and.to.include('frame 2').and.to.include('64x32');

      const reader = FrameReader.open('cam-raw', { dir });
      try {
        const frame = reader.latest();
        expect(frame).to.not.equal(null);
        expect(frame!.meta.frameId).to.equal(2);
        const saved = fs.readFileSync(out);
        expect(Buffer.compare(saved, Buffer.from(frame!.data))).to.equal(0);
        expect(Buffer.compare(saved, Buffer.from(written))).to.equal(0);
      } finally {
        reader.close();
      }
    });

    // Pure red and green in limited range, in each matrix: the PNG uses the matrix the header records.
    const PRIMARIES = { bt601: { red: [81, 90, 240], green: [145, 54, 34] }, bt709: { red: [63, 102, 240], green: [173, 42, 26] } } as const;
    for (const matrix of ['bt601', 'bt709'] as const) {
      it(`-o writes a PNG with ${matrix} limited-range colours where they belong (the header's matrix)`, async () => {
        const width = 64;
        const height = 32;
        const { red, green } = PRIMARIES[matrix];
        const frame = new Uint8Array(nv12Size(width, height));
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) frame[y * width + x] = x < width / 2 ? red[0] : green[0];
        }
        for (let y = 0; y < height / 2; y++) {
          for (let x = 0; x < width; x += 2) {
            const left = x < width / 2;
            frame[width * height + y * width + x] = left ? red[1] : green[1];
            frame[width * height + y * width + x + 1] = left ? red[2] : green[2];
          }
        }
        const colourHook = loadDecodeBoundaryHook({
          AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_BUFFER_CAPACITY: '4', AI_FRAME_COLOR_MATRIX: matrix,
        }, quietLogger);
        colourHook.onStreamStart('cam-png', { width, height });
        colourHook.onFrame('cam-png', frame);
        const out = path.join(dir, 'out.png');
        const result = await runCli(['snapshot', 'cam-png', '-o', out, '--dir', dir]);
        colourHook.close();
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.include(out).and.to.include('frame 1').and.to.include('64x32');

        const png = PNG.sync.read(fs.readFileSync(out));
        expect([png.width, png.height]).to.deep.equal([width, height]);
        const pixel = (x: number, y: number): number[] => {
          const offset = (y * width + x) * 4;
          return [png.data[offset]!, png.data[offset + 1]!, png.data[offset + 2]!];
        };
        const near = (actual: number[], expected: number[]): void => {
          actual.forEach((value, channel) => expect(Math.abs(value - expected[channel]!), `${actual} vs ${expected}`).to.be.at.most(3));
        };
        for (const [x, y] of [[0, 0], [5, 10], [31, 31], [16, 16]] as const) near(pixel(x, y), [255, 0, 0]);
        for (const [x, y] of [[32, 0], [40, 10], [63, 31], [50, 20]] as const) near(pixel(x, y), [0, 255, 0]);
      });
    }

    it('fails with one line for a missing camera (3), no -o/--raw (2), a bad camera id (2)', async () => {
      const missing = await runCli(['snapshot', 'nope', '-o', path.join(dir, 'x.png'), '--dir', dir]);
      expect(missing.code).to.equal(3);
      expect(expectOneLineError(missing.stderr)).to.match(/^vas-frames: nope: /);

      hook.onStreamStart('cam-s', { width: 32, height: 16 });
      const noOutput = await runCli(['snapshot', 'cam-s', '--dir', dir]);
      expect(noOutput.code).to.equal(2);
      expectOneLineError(noOutput.stderr);

      const badId = await runCli(['snapshot', '../etc', '-o', 'x.png', '--dir', dir]);
      expect(badId.code).to.equal(2);
      expectOneLineError(badId.stderr);
    });

    it('exits 1 when the camera has no frame yet, and 3 when the output dir does not exist', async () => {
      hook.onStreamStart('cam-empty', { width: 32, height: 16 });
      const empty = await runCli(['snapshot', 'cam-empty', '--raw', path.join(dir, 'x.nv12'), '--timeout', '0.3', '--dir', dir]);
      expect(empty.code).to.equal(1);
      expect(expectOneLineError(empty.stderr)).to.include('cam-empty');

      hook.onFrame('cam-empty', new Uint8Array(nv12Size(32, 16)));
      const target = path.join(dir, 'no-such-dir', 'x.nv12');
      const badTarget = await runCli(['snapshot', 'cam-empty', '--raw', target, '--dir', dir]);
      expect(badTarget.code).to.equal(3);
      expect(expectOneLineError(badTarget.stderr)).to.include(target);
    });
  });

  describe('verify', () => {
    it('passes on a writer pumping frames', async () => {
      hook.onStreamStart('cam-v', { width: 32, height: 16 });
      pump('cam-v', 32, 16, 10);
      const result = await runCli(['verify', 'cam-v', '--frames', '30', '--timeout', '60', '--dir', dir]);
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^cam-v: 30 frames, \d+ skipped, \d+ id gaps, [0-9.]+ fps: OK$/m);
      expect(result.stderr).to.equal('');
    });

    it('exits 3 with one line for a missing camera or a missing export dir', async () => {
      const camera = await runCli(['verify', 'ghost', '--dir', dir]);
      expect(camera.code).to.equal(3);
      expect(expectOneLineError(camera.stderr)).to.match(/^vas-frames: ghost: no such camera/);

      const missingDir = path.join(dir, 'absent');
      const noDir = await runCli(['verify', 'ghost', '--dir', missingDir]);
      expect(noDir.code).to.equal(3);
      expect(expectOneLineError(noDir.stderr)).to.include(missingDir);
    });

    it('exits 1 when N frames do not arrive in time', async () => {
      hook.onStreamStart('cam-slow', { width: 32, height: 16 });
      hook.onFrame('cam-slow', new Uint8Array(nv12Size(32, 16)));
      const result = await runCli(['verify', 'cam-slow', '--frames', '5', '--timeout', '1', '--dir', dir]);
      expect(result.code).to.equal(1);
      expect(result.stdout).to.match(/^cam-slow: \d+ frames, .*FAILED \(timed out: \d+ of 5 frames in 1 s\)$/m);
    });

    it('rejects a bad --frames value as a usage error', async () => {
      const result = await runCli(['verify', 'cam', '--frames', 'many', '--dir', dir]);
      expect(result.code).to.equal(2);
      expectOneLineError(result.stderr);
    });
  });

  describe('clean', () => {
    it('removes an export whose writer was killed and its stale temporary, keeps the live one and symlinks', async () => {
      const writer = spawnNode(WRITER_CHILD, dir, 'cam-dead');
      children.push(writer);
      await waitForLine(writer, /^READY$/);
      const deadPid = writer.pid!;
      writer.kill('SIGKILL');
      await waitForExit(writer);
      expect(fs.existsSync(path.join(dir, 'cam-dead', 'frame.meta'))).to.equal(true);

      hook.onStreamStart('cam-live', { width: 32, height: 16 });
      hook.onFrame('cam-live', new Uint8Array(nv12Size(32, 16)));
      const temporary = path.join(dir, `.tmp-cam-dead-${deadPid}-0badf00d`);
      fs.mkdirSync(temporary);
      fs.writeFileSync(path.join(temporary, 'frame.meta'), Buffer.alloc(16));
      const liveTemporary = path.join(dir, `.tmp-cam-x-${process.pid}-cafe0001`);
      fs.mkdirSync(liveTemporary);
      // A symbolic link that looks like a dead camera: neither it nor its target may be touched.
      const outside = fs.mkdtempSync('/dev/shm/vas-cli-test-outside-');
      try {
        fs.writeFileSync(path.join(outside, 'precious'), 'keep');
        fs.symlinkSync(outside, path.join(dir, 'cam-link'));

        const before = await lsJson(dir);
        expect(byCamera(before, 'cam-dead').writer_alive).to.equal(false);
        // A dead writer has no live frame to snapshot and nothing to verify: exit 1, one line.
        const snapshot = await runCli(['snapshot', 'cam-dead', '--raw', path.join(outside, 'x.nv12'), '--dir', dir]);
        expect(snapshot.code, snapshot.stderr).to.equal(1);
        expect(expectOneLineError(snapshot.stderr)).to.include('dead');
        const verify = await runCli(['verify', 'cam-dead', '--frames', '1', '--dir', dir]);
        expect(verify.code, verify.stderr).to.equal(1);
        expectOneLineError(verify.stderr);
        expect(byCamera(before, 'cam-live').writer_alive).to.equal(true);

        const dry = await runCli(['clean', '--dry-run', '--dir', dir]);
        expect(dry.code, dry.stderr).to.equal(0);
        expect(dry.stdout).to.include('would remove');
        expect(fs.existsSync(path.join(dir, 'cam-dead'))).to.equal(true);

        const result = await runCli(['clean', '--dir', dir]);
        expect(result.code, result.stderr).to.equal(0);
        const lines = result.stdout.trim().split('\n');
        expect(lines).to.have.lengthOf(2);
        expect(lines.some((line) => line.startsWith(`removed ${path.join(dir, 'cam-dead')}:`))).to.equal(true);
        expect(lines.some((line) => line.startsWith(`removed ${temporary}:`))).to.equal(true);

        expect(fs.existsSync(path.join(dir, 'cam-dead'))).to.equal(false);
        expect(fs.existsSync(temporary)).to.equal(false);
        expect(fs.existsSync(liveTemporary)).to.equal(true);
        expect(fs.existsSync(path.join(dir, 'cam-live', 'frame.meta'))).to.equal(true);
        expect(fs.lstatSync(path.join(dir, 'cam-link')).isSymbolicLink()).to.equal(true);
        expect(fs.readFileSync(path.join(outside, 'precious'), 'utf8')).to.equal('keep');
        expect(byCamera(await lsJson(dir), 'cam-live').writer_alive).to.equal(true);

        const again = await runCli(['clean', '--dir', dir]);
        expect(again.code).to.equal(0);
        expect(again.stdout).to.include('nothing to clean');
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });
  });

  describe('watch', () => {
    it('--count N refreshes N times with an ANSI clear screen and exits 0', async () => {
      hook.onStreamStart('cam-w', { width: 32, height: 16 });
      pump('cam-w', 32, 16, 20);
      const result = await runCli(['watch', '--count', '2', '--dir', dir]);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.split('\x1b[2J')).to.have.lengthOf(3);
      expect(result.stdout).to.match(/^cam-w\s+32\s+16\s+NV12/m);
    });

    it('exits 0 on Ctrl-C (SIGINT)', async () => {
      hook.onStreamStart('cam-w', { width: 32, height: 16 });
      const { child, done } = startCli(['watch', 'cam-w', '--dir', dir]);
      await waitForLine(child, /^cam-w\s/);
      child.kill('SIGINT');
      const result = await done;
      expect(result.code).to.equal(0);
      expect(result.stdout).to.include('cam-w');
    });

    it('exits 3 when the named camera does not exist', async () => {
      const result = await runCli(['watch', 'ghost', '--count', '1', '--dir', dir]);
      expect(result.code).to.equal(3);
      expectOneLineError(result.stderr);
    });
  });

  describe('errors and help', () => {
    it('maps usage errors to 2 and a missing export dir to 3, always one line', async () => {
      for (const args of [[], ['frobnicate'], ['ls', '--nope'], ['ls', 'extra'], ['verify'], ['watch', '--count', '0']]) {
        const result = await runCli([...args, '--dir', dir]);
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(2);
        expectOneLineError(result.stderr);
      }
      const link = `${dir}-link`;
      fs.symlinkSync(dir, link);
      try {
        const viaLink = await runCli(['clean', '--dir', link]);
        expect(viaLink.code).to.equal(5);
        expect(expectOneLineError(viaLink.stderr)).to.include('symbolic link');
      } finally {
        fs.unlinkSync(link);
      }
      for (const command of ['ls', 'clean', 'watch']) {
        const result = await runCli([command, '--dir', path.join(dir, 'missing')]);
        expect(result.code, command).to.equal(3);
        expect(expectOneLineError(result.stderr)).to.include(path.join(dir, 'missing'));
      }
    });

    it('maps permission denied to 4: the export dir, or the camera files of a readable dir', async function () {
      if (typeof process.getuid !== 'function' || process.getuid() !== 0) this.skip();
      const nobody = { uid: 65534, gid: 65534 };
      hook.onStreamStart('cam-p', { width: 32, height: 16 });
      hook.onFrame('cam-p', new Uint8Array(nv12Size(32, 16)));
      // mkdtemp made the export dir 0700 root: an unprivileged user cannot list it.
      const closed = await runCli(['ls', '--dir', dir], nobody);
      expect(closed.code, closed.stderr).to.equal(4);
      expect(expectOneLineError(closed.stderr)).to.include(dir).and.to.include('permission denied');

      // Listable dir, but the camera directory stays 0750 root: the files cannot be opened.
      fs.chmodSync(dir, 0o755);
      const listed = await runCli(['ls', '--json', '--dir', dir], nobody);
      expect(listed.code, listed.stderr).to.equal(4);
      expect(expectOneLineError(listed.stderr)).to.match(/^vas-frames: cam-p: .*permission denied$/);
      expect(JSON.parse(listed.stdout)).to.deep.equal([]);

      const snapshot = await runCli(['snapshot', 'cam-p', '--raw', '/dev/null', '--dir', dir], nobody);
      expect(snapshot.code, snapshot.stderr).to.equal(4);
      expect(expectOneLineError(snapshot.stderr)).to.include('permission denied');

      const clean = await runCli(['clean', '--dir', dir], nobody);
      expect(clean.code, clean.stderr).to.equal(4);
      expect(expectOneLineError(clean.stderr)).to.include('kept');
      expect(fs.existsSync(path.join(dir, 'cam-p', 'frame.meta'))).to.equal(true);
    });

    it('--help lists every command and the exit codes', async () => {
      const result = await runCli(['--help']);
      expect(result.code).to.equal(0);
      for (const word of ['ls', 'watch', 'snapshot', 'verify', 'clean', 'Exit codes', '--dir']) expect(result.stdout).to.include(word);
      const sub = await runCli(['verify', '--help']);
      expect(sub.code).to.equal(0);
      expect(sub.stdout).to.include('--frames').and.to.include('--timeout');
    });
  });
});
