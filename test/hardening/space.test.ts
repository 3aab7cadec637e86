/**
 * Hardening 1: running out of shared-memory space. A real 16 MiB tmpfs stands in for a Docker
 * /dev/shm without shm_size. The writer runs in a child process (fixtures/hook-child.ts), so a
 * SIGBUS shows up as the child's exit signal instead of killing mocha.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SLOT_ALIGNMENT, computeLayout, roundUp } from '../../src/layout/frame-export-layout';
import { FrameReader } from '../../src/reader/frame-reader';
import { frameProblem } from './support/frames';
import {
  exportEnv, fillFilesystem, fixture, freeBytes, linesAt, listTree, mountTmpfs, readMetaIdentity, waitFor, type TmpfsMount,
} from './support/harness';
import { NodeChild } from './support/ipc';

interface Answer {
  lines: string[];
  fallocateCalls?: number;
  lastSeq?: number;
}

const MiB = 1024 * 1024;

function bytesNeeded(width: number, height: number, slots: number): number {
  const layout = computeLayout({ width, height }, slots);
  return roundUp(layout.metaFileSize, SLOT_ALIGNMENT) + roundUp(layout.dataFileSize, SLOT_ALIGNMENT);
}

/** Reads the latest frame of a camera from another process's point of view and verifies it. */
async function readVerified(dir: string, cameraId: string, expectedId: number): Promise<void> {
  const reader = FrameReader.open(cameraId, { dir });
  try {
    const frame = await waitFor(`frame ${expectedId} of ${cameraId}`, 5000, () => {
      const f = reader.latest();
      return f !== null && f.meta.frameId === expectedId ? f : undefined;
    });
    expect(frameProblem(frame.data, frame.meta.frameId)).to.equal(null);
  } finally {
    reader.close();
  }
}

describe('hardening: shared-memory space (16 MiB tmpfs)', function () {
  this.timeout(120_000);
  let mount: TmpfsMount | null = null;
  const children: NodeChild[] = [];

  function writer(): NodeChild {
    const child = NodeChild.fork(fixture('hook-child'));
    children.push(child);
    return child;
  }

  function root(): string {
    return mount!.dir;
  }

  before(function () {
    const result = mountTmpfs('16m');
    if (typeof result === 'string') {
      console.log(`      skipped: ${result}`);
      this.skip();
    }
    mount = result as TmpfsMount;
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await child.dispose();
    if (mount !== null) for (const name of fs.readdirSync(mount.dir)) fs.rmSync(path.join(mount.dir, name), { recursive: true, force: true });
  });

  after(() => {
    mount?.unmount();
  });

  it('refuses 1920x1080 x 8 slots (~25 MB) with one error line (needed, available, shm_size), writes nothing, and still exports a smaller camera', async () => {
    const exportDir = path.join(root(), 'vas');
    const child = writer();
    await child.call('load', { env: exportEnv(exportDir, { AI_FRAME_WIDTH: '1920', AI_FRAME_HEIGHT: '1080', AI_FRAME_BUFFER_CAPACITY: '8' }) });
    const freeBefore = freeBytes(root());
    const needed = bytesNeeded(1920, 1080, 8);
    expect(needed).to.be.greaterThan(16 * MiB);

    const refused = await child.call<Answer>('start', { id: 'cam-1080p', width: 1920, height: 1080 });
    const errors = linesAt(refused.lines, 'error');
    expect(errors, refused.lines.join('\n')).to.have.length(1);
    const match = /needs ([0-9]+) bytes but (\S+) has ([0-9]+) bytes free/.exec(errors[0]!);
    expect(match, errors[0]).to.not.equal(null);
    expect(Number(match![1])).to.equal(needed);
    expect(match![2]).to.equal(exportDir);
    const available = Number(match![3]);
    expect(available).to.be.at.most(16 * MiB).and.to.be.below(needed);
    expect(available).to.be.closeTo(freeBefore, 64 * 1024);
    expect(errors[0]).to.include('shm_size').and.to.include('AI_FRAME_BUFFER_CAPACITY').and.to.include('cam-1080p');

    expect(listTree(exportDir), 'export dir after the refusal').to.deep.equal([]);
    expect(fs.readdirSync(root())).to.deep.equal(['vas']);
    expect(freeBytes(root())).to.equal(freeBefore);

    // Frames for the refused camera are ignored (one rate-limited warning), nothing crashes.
    const ignored = await child.call<Answer>('frames', { id: 'cam-1080p', count: 3 });
    expect(linesAt(ignored.lines, 'warning')).to.have.length(1);
    expect(linesAt(ignored.lines, 'error')).to.deep.equal([]);

    // The same hook still exports a camera that fits.
    const small = await child.call<Answer>('start', { id: 'cam-small', width: 640, height: 360 });
    expect(small.lines, small.lines.join('\n')).to.deep.equal([]);
    await child.call('frames', { id: 'cam-small', count: 20 });
    await readVerified(exportDir, 'cam-small', 20);
    await child.call('stop', { id: 'cam-small' });
    expect(listTree(exportDir)).to.deep.equal([]);
    expect(child.exit).to.equal(null);
    await child.call('exit', {});
    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
  });

  it('survives posix_fallocate failing after the free-space check passed (tmpfs filled in between): one error line, no SIGBUS, nothing left; works again once space is back', async () => {
    const exportDir = path.join(root(), 'vas');
    const filler = path.join(root(), 'filler');
    const layout = computeLayout({ width: 1280, height: 720 }, 8);
    expect(bytesNeeded(1280, 720, 8)).to.be.below(freeBytes(root()));
    const child = writer();
    await child.call('load', {
      env: exportEnv(exportDir, { AI_FRAME_WIDTH: '1280', AI_FRAME_HEIGHT: '720', AI_FRAME_BUFFER_CAPACITY: '8' }),
      // Another process fills the tmpfs (1 MiB left) just before frame.data is reserved.
      racingFill: { file: filler, leaveBytes: MiB, minLength: layout.dataFileSize },
    });
    const refused = await child.call<Answer>('start', { id: 'cam-race', width: 1280, height: 720 });
    expect(refused.fallocateCalls, 'meta and data reservations attempted').to.equal(2);
    expect(fs.statSync(filler).size).to.be.greaterThan(4 * MiB);
    const errors = linesAt(refused.lines, 'error');
    expect(errors, refused.lines.join('\n')).to.have.length(1);
    expect(errors[0]).to.match(/cam-race: export needs [0-9]+ bytes but .* has [0-9]+ bytes free/);
    expect(errors[0]).to.include('shm_size');
    expect(listTree(exportDir), 'no temporary directory or file left behind').to.deep.equal([]);

    // Frames for it are ignored; the writer is alive (no SIGBUS).
    await child.call('frames', { id: 'cam-race', count: 5 });
    expect(child.exit).to.equal(null);

    fs.rmSync(filler);
    const again = await child.call<Answer>('start', { id: 'cam-race', width: 1280, height: 720 });
    expect(again.lines, again.lines.join('\n')).to.deep.equal([]);
    await child.call('frames', { id: 'cam-race', count: 17 });
    await readVerified(exportDir, 'cam-race', 17);
    await child.call('close', {});
    expect(listTree(exportDir)).to.deep.equal([]);
    await child.call('exit', {});
    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
  });

  it('keeps its reservation: with the check passing by 3 pages and the tmpfs then filled to the last byte, writing every slot three times does not SIGBUS', async () => {
    const exportDir = path.join(root(), 'vas');
    const needed = bytesNeeded(1280, 720, 8);
    fillFilesystem(path.join(root(), 'filler-1'), needed + 3 * 4096);
    expect(freeBytes(root())).to.be.within(needed, needed + 3 * 4096);

    const child = writer();
    await child.call('load', { env: exportEnv(exportDir, { AI_FRAME_WIDTH: '1280', AI_FRAME_HEIGHT: '720', AI_FRAME_BUFFER_CAPACITY: '8' }) });
    const started = await child.call<Answer>('start', { id: 'cam-tight', width: 1280, height: 720 });
    expect(started.lines, started.lines.join('\n')).to.deep.equal([]);

    fillFilesystem(path.join(root(), 'filler-2'), 0);
    expect(freeBytes(root()), 'tmpfs full').to.be.below(4096);

    const written = await child.call<Answer>('frames', { id: 'cam-tight', count: 24 });
    expect(linesAt(written.lines, 'error')).to.deep.equal([]);
    expect(child.exit, 'writer alive after touching every page').to.equal(null);
    await readVerified(exportDir, 'cam-tight', 24);

    // Control, on the same full tmpfs: a mapping without a reservation dies with SIGBUS when
    // touched, so the writer above survived because of its posix_fallocate.
    const control = spawnSync(process.execPath, [fixture('sparse-touch'), root(), String(MiB)], { encoding: 'utf8' });
    expect(control.signal, `control: ${control.stdout}${control.stderr}`).to.equal('SIGBUS');
    fs.rmSync(path.join(root(), 'sparse-control'));

    await child.call('stop', { id: 'cam-tight' });
    expect(listTree(exportDir)).to.deep.equal([]);
    await child.call('exit', {});
    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
  });

  it('restarts a camera after a writer crash on a tmpfs sized for one export: the stale export of the dead writer does not take the new one\'s space', async () => {
    const exportDir = path.join(root(), 'vas');
    const env = exportEnv(exportDir, { AI_FRAME_WIDTH: '1280', AI_FRAME_HEIGHT: '720', AI_FRAME_BUFFER_CAPACITY: '8' });
    const needed = bytesNeeded(1280, 720, 8);
    expect(2 * needed, 'two exports do not fit').to.be.above(16 * MiB);

    const first = writer();
    await first.call('load', { env });
    expect((await first.call<Answer>('start', { id: 'cam-crash', width: 1280, height: 720 })).lines).to.deep.equal([]);
    await first.call('frames', { id: 'cam-crash', count: 3 });
    const firstPid = first.pid;
    first.kill('SIGKILL');
    expect((await first.exited).signal).to.equal('SIGKILL');
    expect(readMetaIdentity(path.join(exportDir, 'cam-crash', 'frame.meta')).writerPid, 'stale export left by the crash').to.equal(firstPid);

    const second = writer();
    await second.call('load', { env });
    const restarted = await second.call<Answer>('start', { id: 'cam-crash', width: 1280, height: 720 });
    expect(restarted.lines, restarted.lines.join('\n')).to.deep.equal([]);
    expect(readMetaIdentity(path.join(exportDir, 'cam-crash', 'frame.meta')).writerPid).to.equal(second.pid);
    await second.call('frames', { id: 'cam-crash', count: 9 });
    await readVerified(exportDir, 'cam-crash', 9);
    expect(listTree(exportDir).map((entry) => entry.path)).to.deep.equal(['cam-crash', 'cam-crash/frame.data', 'cam-crash/frame.meta']);
    await second.call('close', {});
    expect(listTree(exportDir)).to.deep.equal([]);
  });
});
