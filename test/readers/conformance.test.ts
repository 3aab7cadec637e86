import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FrameExportHook, TOKENS, createFrameExportContainer } from '../../plugin/live';
import { FORMAT_VERSION, Header } from '../../src/layout/frame-export-layout';
import { FakeClock, FixedWriterIdentity } from '../support/fake-clock';
import { enabledConfig, MemoryLogger } from '../support/live-container';

/**
 * One export written by the TypeScript writer with a fake clock and a fixed identity, read by
 * every reader: TypeScript, Python (with and without numpy) and C. All must agree on every meta
 * field and on the frame bytes, and the writer's frame.meta must equal the checked-in golden
 * bytes, so a layout change made in one language only fails here.
 * VAS_UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing it).
 */
const REPO = path.resolve(__dirname, '..', '..', '..');
const GOLDEN_DIR = path.join(REPO, 'test', 'readers', 'golden');
const SUPPORT_SRC = path.join(REPO, 'test', 'readers', 'support');
const PYTHON_READER_DIR = path.join(REPO, 'src', 'reader', 'python');
const C_HEADER_DIR = path.join(REPO, 'src', 'reader', 'c');
const CAMERA = 'conformance-1';
const WIDTH = 64;
const HEIGHT = 32;
const FRAMES = 5;

function knownFrame(frameNumber: number): Uint8Array {
  const frame = new Uint8Array(WIDTH * HEIGHT * 1.5);
  for (let i = 0; i < frame.length; i++) frame[i] = (i * 7 + frameNumber * 31) & 0xff;
  return frame;
}

function parseJson(output: string): Record<string, unknown> {
  return JSON.parse(output.trim().split('\n').pop()!) as Record<string, unknown>;
}

describe('readers: cross-language conformance against golden meta bytes', function () {
  this.timeout(120_000);
  let exportDir: string;
  let workDir: string;
  let hook: FrameExportHook;
  const outputs: Record<string, Record<string, unknown>> = {};

  before(() => {
    exportDir = fs.mkdtempSync('/dev/shm/vas-conf-');
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-conf-build-'));
    const container = createFrameExportContainer(enabledConfig({
      AI_FRAME_EXPORT_DIR: exportDir, AI_FRAME_WIDTH: String(WIDTH), AI_FRAME_HEIGHT: String(HEIGHT), AI_FRAME_BUFFER_CAPACITY: '3',
    }), new MemoryLogger());
    const clock = new FakeClock();
    container.register(TOKENS.Clock, { useValue: clock });
    // pidns 0: readers skip the pid check for the fixed pid (spec 5.3).
    container.register(TOKENS.WriterIdentity, { useValue: new FixedWriterIdentity(4242, 0) });
    hook = container.resolve(FrameExportHook);
    hook.onStreamStart(CAMERA, { width: WIDTH, height: HEIGHT });
    for (let n = 1; n <= FRAMES; n++) {
      clock.advance(33_333_333);
      hook.onFrame(CAMERA, knownFrame(n));
    }
    hook.onFrame(CAMERA, new Uint8Array(10)); // one size mismatch, counted
  });

  after(() => {
    hook.close();
    fs.rmSync(exportDir, { recursive: true, force: true });
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('the writer produces exactly the golden frame.meta bytes', () => {
    const meta = fs.readFileSync(path.join(exportDir, CAMERA, 'frame.meta'));
    const golden = path.join(GOLDEN_DIR, `frame-meta-v${FORMAT_VERSION}.bin`);
    if (process.env.VAS_UPDATE_GOLDEN === '1') fs.writeFileSync(golden, meta);
    const expected = fs.readFileSync(golden);
    const firstDifference = meta.findIndex((byte, index) => byte !== expected[index]);
    expect(meta.length, 'frame.meta size').to.equal(expected.length);
    expect(firstDifference, `first differing byte offset ${firstDifference}`).to.equal(-1);
  });

  it('every reader reads the export (run after the golden check: the heartbeat is refreshed to now)', () => {
    // The fake clock's heartbeat (1000 s of uptime) would look stale to a real reader; put the
    // real CLOCK_MONOTONIC there. Everything below is synchronous, so no heartbeat timer of the
    // hook can run in between.
    const fd = fs.openSync(path.join(exportDir, CAMERA, 'frame.meta'), 'r+');
    const now = Buffer.alloc(8);
    now.writeBigUInt64LE(process.hrtime.bigint());
    fs.writeSync(fd, now, 0, 8, Header.HEARTBEAT_NS);
    fs.closeSync(fd);

    const ts = spawnSync(process.execPath, [path.join(__dirname, 'support', 'conformance-reader.js'), exportDir, CAMERA], { encoding: 'utf8' });
    expect(ts.status, ts.stderr).to.equal(0);
    outputs.typescript = parseJson(ts.stdout);

    for (const variant of ['numpy', 'no-numpy']) {
      const args = [path.join(SUPPORT_SRC, 'conformance_reader.py'), PYTHON_READER_DIR, exportDir, CAMERA];
      if (variant === 'no-numpy') args.push('--no-numpy');
      const py = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
      expect(py.status, py.stderr).to.equal(0);
      outputs[`python-${variant}`] = parseJson(py.stdout);
    }

    const binary = path.join(workDir, 'conformance_reader');
    execFileSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', '-I', C_HEADER_DIR, '-o', binary,
      path.join(SUPPORT_SRC, 'conformance_reader.c')]);
    const c = spawnSync(binary, [exportDir, CAMERA], { encoding: 'utf8' });
    expect(c.status, c.stderr).to.equal(0);
    outputs.c = parseJson(c.stdout);
  });

  it('all readers agree on every meta field and on the frame bytes, and match the golden values', () => {
    const goldenFile = path.join(GOLDEN_DIR, `frame-meta-v${FORMAT_VERSION}.json`);
    const comparable = (output: Record<string, unknown>) => {
      const { array_check: _ignored, ...rest } = output;
      return rest;
    };
    const reference = comparable(outputs.typescript!);
    if (process.env.VAS_UPDATE_GOLDEN === '1') fs.writeFileSync(goldenFile, `${JSON.stringify({ ...reference, data_hex: undefined }, null, 2)}\n`);
    const golden = JSON.parse(fs.readFileSync(goldenFile, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(outputs)).to.have.members(['typescript', 'python-numpy', 'python-no-numpy', 'c']);
    for (const [reader, output] of Object.entries(outputs)) {
      expect(comparable(output), `${reader} vs typescript`).to.deep.equal(reference);
      const { data_hex: _hex, ...fields } = comparable(output);
      expect(fields, `${reader} vs golden`).to.deep.equal(golden);
    }
    expect(Buffer.from(reference.data_hex as string, 'hex').equals(Buffer.from(knownFrame(FRAMES))), 'bytes of the last frame').to.equal(true);
    expect(outputs['python-numpy']!.array_check).to.equal('array-matches-data');
    expect(outputs['python-no-numpy']!.array_check).to.equal('numpy-missing');
    expect(golden).to.deep.include({ frame_id: String(FRAMES), latest_frame_id: String(FRAMES), dropped_size_mismatch: '1', writer_pid: 4242 });
  });

  it('the TypeScript reader reads the golden frame.meta of every format version (older files too)', () => {
    const metas = fs.readdirSync(GOLDEN_DIR).filter((name) => /^frame-meta-v[0-9]+\.bin$/.test(name)).sort();
    expect(metas).to.include.members(['frame-meta-v1.bin', `frame-meta-v${FORMAT_VERSION}.bin`]);
    for (const name of metas) {
      const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, name.replace(/\.bin$/, '.json')), 'utf8')) as Record<string, unknown>;
      const meta = fs.readFileSync(path.join(GOLDEN_DIR, name));
      meta.writeBigUInt64LE(process.hrtime.bigint(), Header.HEARTBEAT_NS); // the fake clock's heartbeat would look stale
      const root = fs.mkdtempSync(path.join(workDir, 'golden-'));
      fs.mkdirSync(path.join(root, 'golden'));
      fs.writeFileSync(path.join(root, 'golden', 'frame.meta'), meta);
      fs.writeFileSync(path.join(root, 'golden', 'frame.data'), Buffer.alloc((golden.slot_count as number) * (golden.slot_stride as number)));
      const ts = spawnSync(process.execPath, [path.join(__dirname, 'support', 'conformance-reader.js'), root, 'golden'], { encoding: 'utf8' });
      expect(ts.status, `${name}: ${ts.stderr}`).to.equal(0);
      const output = parseJson(ts.stdout);
      const fields = Object.keys(golden).filter((key) => key !== 'data_fnv1a64' && key !== 'data_hex');
      expect(Object.fromEntries(fields.map((key) => [key, output[key]])), name).to.deep.equal(Object.fromEntries(fields.map((key) => [key, golden[key]])));
    }
  });
});
