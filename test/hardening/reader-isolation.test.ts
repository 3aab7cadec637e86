/**
 * Hardening 5: readers cannot hurt the writer.
 *
 *  - a reader's mapping is PROT_READ: writing into it kills the reader (SIGSEGV), never changes
 *    the export; a writable shared mapping cannot be made from a read-only descriptor;
 *  - another user (even one in the export group) cannot open the files for writing, nor
 *    truncate, unlink, rename, create or chmod anything in the export;
 *  - a reader frozen by SIGSTOP while it holds a mapping does not slow the writer down.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../../plugin/index';
import { nv12FrameSize } from '../../src/layout/frame-export-layout';
import { FrameReader } from '../../src/reader/frame-reader';
import { MemoryLogger } from '../support/live-container';
import { FrameSource, frameProblem } from './support/frames';
import { exportEnv, fixture, listTree, makeTempDir, removeTree, skipUnlessRoot, sleep, waitForAsync } from './support/harness';
import { NodeChild } from './support/ipc';

const NOBODY = 65534;
const DAEMON_GID = 1;
const CAMERA = 'cam-ro';

function snapshot(dir: string): { meta: string; data: string } {
  return {
    meta: fs.readFileSync(path.join(dir, CAMERA, 'frame.meta')).toString('base64'),
    data: fs.readFileSync(path.join(dir, CAMERA, 'frame.data')).toString('base64'),
  };
}

/** Runs fixtures/ro-attack.js synchronously (the event loop, and so the writer's heartbeat timer, waits). */
function attack(mode: string, dir: string, ids: { uid?: number; gid?: number } = {}): { signal: NodeJS.Signals | null; status: number | null; lines: Array<Record<string, unknown>>; stderr: string } {
  const result = spawnSync(process.execPath, [fixture('ro-attack'), mode, dir, CAMERA], { encoding: 'utf8', timeout: 30_000, ...ids });
  const lines = result.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { signal: result.signal, status: result.status, lines, stderr: result.stderr };
}

describe('hardening: readers cannot hurt the writer', function () {
  this.timeout(120_000);
  let base = '';
  let dir = '';
  let hook: DecodeBoundaryHook | null = null;
  const children: NodeChild[] = [];

  beforeEach(() => {
    base = makeTempDir('ro');
    dir = path.join(base, 'vas');
  });

  afterEach(async () => {
    hook?.close();
    hook = null;
    for (const child of children.splice(0)) {
      child.kill('SIGCONT');
      await child.dispose();
    }
    removeTree(base);
  });

  function startInProcess(env: Record<string, string> = {}): void {
    const logger = new MemoryLogger();
    hook = loadDecodeBoundaryHook(exportEnv(dir, env), logger);
    hook.onStreamStart(CAMERA, { width: 64, height: 32 });
    const source = new FrameSource(nv12FrameSize(64, 32));
    for (let i = 0; i < 6; i++) hook.onFrame(CAMERA, source.next());
    expect(logger.lines).to.deep.equal([]);
  }

  for (const mode of ['reader-meta', 'reader-data', 'manual-map']) {
    it(`${mode}: a reader writing into its read-only mapping dies with SIGSEGV/SIGBUS and the export bytes are unchanged`, () => {
      startInProcess();
      const before = snapshot(dir);
      const result = attack(mode, dir);
      expect(result.lines[0], result.stderr).to.deep.include({ attached: true });
      expect(result.lines.some((line) => line.wrote === true), 'the write went through').to.equal(false);
      expect(result.signal, `exit status ${result.status}, stderr ${result.stderr.slice(-500)}`).to.be.oneOf(['SIGSEGV', 'SIGBUS']);
      expect(snapshot(dir)).to.deep.equal(before);
    });
  }

  it('a writable shared mapping cannot be made from a reader\'s read-only descriptor (EACCES)', () => {
    startInProcess();
    const before = snapshot(dir);
    const result = attack('map-writable', dir);
    expect(result.signal).to.equal(null);
    expect(result.lines[0]).to.deep.equal({ mmapWritable: 'mmap failed: errno 13' });
    expect(snapshot(dir)).to.deep.equal(before);
  });

  it('uid 65534 in the export group: read-only open works; opening for writing, truncate, unlink, rename, create and chmod are all refused', function () {
    skipUnlessRoot(this, 'running a child as uid 65534');
    startInProcess({ AI_FRAME_EXPORT_GROUP: 'daemon' });
    const before = snapshot(dir);
    const tree = listTree(dir);
    const result = attack('file-access', dir, { uid: NOBODY, gid: DAEMON_GID });
    expect(result.signal, result.stderr).to.equal(null);
    expect(result.lines[0]).to.deep.equal({
      uid: NOBODY,
      gid: DAEMON_GID,
      metaReadOnly: 'ok',
      metaReadWrite: 'EACCES',
      metaWriteOnly: 'EACCES',
      dataReadWrite: 'EACCES',
      truncate: 'EACCES',
      unlinkMeta: 'EACCES',
      renameCameraDir: 'EACCES',
      createInCameraDir: 'EACCES',
      createInExportDir: 'EACCES',
      chmodMeta: 'EPERM',
    });
    expect(snapshot(dir)).to.deep.equal(before);
    expect(listTree(dir)).to.deep.equal(tree);
  });

  it('uid 65534 outside the export group: cannot even open frame.meta read-only (EACCES)', function () {
    skipUnlessRoot(this, 'running a child as uid 65534');
    startInProcess({ AI_FRAME_EXPORT_GROUP: 'daemon' });
    const before = snapshot(dir);
    const result = attack('file-access', dir, { uid: NOBODY, gid: NOBODY });
    expect(result.signal, result.stderr).to.equal(null);
    const access = result.lines[0]!;
    for (const [key, value] of Object.entries(access)) {
      if (key === 'uid' || key === 'gid') continue;
      expect(value, key).to.equal('EACCES');
    }
    expect(snapshot(dir)).to.deep.equal(before);
  });

  it('a reader SIGSTOPped while reading (holding its mapping) does not slow the writer; it resumes with valid frames after SIGCONT', async () => {
    const FRAMES = 3000;
    const writer = NodeChild.fork(fixture('hook-child'));
    children.push(writer);
    await writer.call('load', { env: exportEnv(dir, { AI_FRAME_WIDTH: '320', AI_FRAME_HEIGHT: '240', AI_FRAME_BUFFER_CAPACITY: '2' }) });
    await writer.call('start', { id: CAMERA, width: 320, height: 240 });
    await writer.call('frames', { id: CAMERA, count: 200 }); // warm-up
    const alone = await writer.call<{ elapsedMs: number }>('frames', { id: CAMERA, count: FRAMES });

    const reader = NodeChild.fork(fixture('reader-child'));
    children.push(reader);
    await reader.call('open', { id: CAMERA, dir });
    await reader.call('waitFrame', {});
    await reader.call('spin', {});
    await sleep(300);
    const beforeStop = await reader.call<{ reads: number; accepted: number }>('stats');
    expect(beforeStop.accepted, 'the reader was reading').to.be.above(0);
    reader.kill('SIGSTOP');
    await sleep(100);

    const observer = FrameReader.open(CAMERA, { dir });
    const writtenBefore = observer.info()!.status.framesWritten;
    const stopped = await writer.call<{ elapsedMs: number; lastSeq: number }>('frames', { id: CAMERA, count: FRAMES });
    const writtenAfter = observer.info()!.status.framesWritten;
    const aloneFps = (FRAMES / alone.elapsedMs) * 1000;
    const stoppedFps = (FRAMES / stopped.elapsedMs) * 1000;
    console.log(`      writer 320x240: ${aloneFps.toFixed(0)} frames/s with no reader, ${stoppedFps.toFixed(0)} frames/s with a SIGSTOPped reader (ratio ${(stoppedFps / aloneFps).toFixed(2)})`);
    expect(writtenAfter - writtenBefore, 'every frame committed').to.equal(FRAMES);
    expect(stoppedFps, 'writer speed with a stopped reader').to.be.at.least(aloneFps * 0.25);
    const latest = observer.latest()!;
    expect(latest.meta.frameId).to.equal(writtenAfter);
    expect(frameProblem(latest.data, stopped.lastSeq)).to.equal(null);
    observer.close();

    reader.kill('SIGCONT');
    type Stats = { reads: number; accepted: number; torn: number; tornSamples: string[]; lastFrameId: number; status: string };
    const stats = await waitForAsync('the resumed reader to read the last frame', 10_000, async () => {
      const current = await reader.call<Stats>('stats');
      return current.lastFrameId === writtenAfter ? current : undefined;
    }, 50);
    expect(stats.reads).to.be.above(beforeStop.reads);
    expect(stats.torn, stats.tornSamples.join('; ')).to.equal(0);
    expect(stats.status).to.equal('live');
  });
});
