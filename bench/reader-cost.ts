/**
 * Item 5: reader cost. One process writes a 1080p frame into a live export (the hook's
 * onFrame); readers copy it out:
 *  - TS: FrameReader.latest() (seqlock-verified copy into a new buffer, plus its periodic
 *    liveness check), against Buffer.copy of the same bytes heap to heap, interleaved in this
 *    process;
 *  - Python: vas_frames.FrameReader.latest() against bytes() of a bytearray in the Python
 *    process (bench/py_reader_bench.py), run while this process keeps the export live.
 * CPU is process CPU (user + system, every thread) on both sides of each ratio: latest()
 * allocates a frame-sized buffer per call, and freeing those may happen on another thread.
 * Every copy is checked against the frame written, outside the timed loops.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook } from '../plugin/index';
import { FrameReader } from '../src/index';
import { processCpuNs } from './lib/cpu';
import { BenchLogger, GEOMETRY, liveEnv, makeExportDir, patternFrame, progress, runItem } from './lib/item';
import type { Profile } from './lib/profile';
import { summarize, type Stat } from './lib/stats';

const PYTHON = '/usr/bin/python3';

interface PyResult {
  readonly reader_ns: number[];
  readonly copy_ns: number[];
  readonly verified: boolean;
  readonly skipped: number;
  readonly python: string;
}

function runPython(script: string, params: unknown): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, JSON.stringify(params)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`python reader bench exited ${code}: ${err.trim() || out.trim()}`));
      else resolve(JSON.parse(out) as PyResult);
    });
  });
}

async function main(params: { profile: Profile }): Promise<Record<string, Stat | string>> {
  const { profile } = params;
  const { width, height } = GEOMETRY['1080p'];
  const frameSize = width * height * 3 / 2;
  const dir = makeExportDir('reader');
  const hook = loadDecodeBoundaryHook(liveEnv(dir, width, height), new BenchLogger());
  hook.onStreamStart('cam', { width, height });
  const frame = patternFrame(frameSize, 5);
  hook.onFrame('cam', frame);

  const reader = FrameReader.open('cam', { dir });
  const first = reader.latest();
  if (first === null || Buffer.compare(Buffer.from(first.data.buffer, first.data.byteOffset, first.data.byteLength), frame) !== 0) {
    throw new Error(`TS reader: the frame read differs from the frame written (status ${reader.status()})`);
  }
  const src = Buffer.from(frame);
  const dst = Buffer.alloc(frameSize);
  const calls = profile.readerCalls;
  let lastRead: Uint8Array | null = null;
  const readSample = (): number => {
    const start = processCpuNs();
    for (let call = 0; call < calls; call++) {
      const got = reader.latest();
      if (got === null) throw new Error(`TS reader: latest() returned null (${reader.status()})`);
      lastRead = got.data;
    }
    return (processCpuNs() - start) / calls;
  };
  const copySample = (): number => {
    const start = processCpuNs();
    for (let call = 0; call < calls; call++) src.copy(dst, 0, 0, frameSize);
    return (processCpuNs() - start) / calls;
  };
  // Diagnostic: an allocating copy (a new frame-sized buffer per call, as latest() returns).
  let lastAlloc: Buffer | null = null;
  const allocCopySample = (): number => {
    const start = processCpuNs();
    for (let call = 0; call < calls; call++) lastAlloc = Buffer.from(src);
    return (processCpuNs() - start) / calls;
  };
  readSample();
  copySample();
  allocCopySample();
  const readNs: number[] = [];
  const copyNs: number[] = [];
  const allocNs: number[] = [];
  for (let rep = 0; rep < profile.readerReps; rep++) {
    if (rep % 2 === 0) {
      readNs.push(readSample());
      copyNs.push(copySample());
      allocNs.push(allocCopySample());
    } else {
      allocNs.push(allocCopySample());
      copyNs.push(copySample());
      readNs.push(readSample());
    }
    if (lastAlloc === null) throw new Error('no allocating copy made');
    const check = lastRead as Uint8Array | null;
    if (check === null || Buffer.compare(Buffer.from(check.buffer, check.byteOffset, check.byteLength), frame) !== 0) {
      throw new Error('TS reader: a copy differs from the frame written');
    }
    // The same frame again: a new frame id and a heartbeat, so the export stays live.
    hook.onFrame('cam', frame);
    await new Promise((resolve) => setImmediate(resolve));
    progress(`reader_ts_vs_memcpy ${rep + 1}/${profile.readerReps}`);
  }
  const result: Record<string, Stat | string> = {
    reader_ts_vs_memcpy_1080p: summarize(readNs.map((ns, index) => ns / copyNs[index]!)),
    reader_ts_us_1080p: summarize(readNs.map((ns) => ns / 1000)),
    reader_ts_memcpy_us_1080p: summarize(copyNs.map((ns) => ns / 1000)),
    reader_ts_vs_alloc_copy_1080p: summarize(readNs.map((ns, index) => ns / allocNs[index]!)),
    alloc_copy_us_1080p: summarize(allocNs.map((ns) => ns / 1000)),
  };
  reader.close();

  const script = path.join(__dirname, '..', '..', 'bench', 'py_reader_bench.py');
  const readerDir = path.join(__dirname, '..', '..', 'src', 'reader', 'python');
  if (!fs.existsSync(path.join(readerDir, 'vas_frames.py')) || !fs.existsSync(PYTHON)) {
    result.reader_py_vs_memcpy_1080p = summarize([]);
    result.reader_py_note = `not measured: ${fs.existsSync(PYTHON) ? 'src/reader/python/vas_frames.py is missing' : `${PYTHON} is missing`}`;
  } else {
    progress('reader_py_vs_memcpy: running /usr/bin/python3');
    const expected = path.join(dir, '.expected-frame');
    fs.writeFileSync(expected, frame);
    // The Python process runs while this event loop stays free: the hook's heartbeats go on.
    const py = await runPython(script, { dir, camera: 'cam', expected, reader_dir: readerDir, reps: profile.readerReps, calls });
    if (!py.verified) throw new Error('Python reader: the last copy differs from the frame written');
    result.reader_py_vs_memcpy_1080p = summarize(py.reader_ns.map((ns, index) => ns / py.copy_ns[index]!));
    result.reader_py_us_1080p = summarize(py.reader_ns.map((ns) => ns / 1000));
    result.reader_py_copy_us_1080p = summarize(py.copy_ns.map((ns) => ns / 1000));
    result.reader_py_note = `Python ${py.python}, ${py.skipped} reads skipped by the protocol`;
  }
  hook.close();
  return result;
}

runItem(main);
