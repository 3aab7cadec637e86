/**
 * Hardening 2: filesystem safety of the export. A hostile or mistaken environment (symbolic
 * links, foreign owners, planted files, hostile camera ids) must never make the writer touch
 * anything outside its own export, and the export must carry the documented modes and group.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NOOP_HOOK, loadDecodeBoundaryHook, type DecodeBoundaryHook } from '../../plugin/index';
import { nv12FrameSize } from '../../src/layout/frame-export-layout';
import { FrameReader } from '../../src/reader/frame-reader';
import { MemoryLogger } from '../support/live-container';
import { FrameSource, frameProblem } from './support/frames';
import { exportEnv, fixture, linesAt, listTree, makeTempDir, removeTree, skipUnlessRoot, treeNames, waitFor, type TreeEntry } from './support/harness';
import { NodeChild } from './support/ipc';

const NOBODY = 65534;
const DAEMON_GID = 1;

interface Victim {
  readonly dir: string;
  snapshot(): unknown;
}

/** A directory with two files whose bytes, modes and times must never change. */
function makeVictim(base: string): Victim {
  const dir = path.join(base, 'victim');
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'frame.meta'), 'victim meta bytes, not an export\n', { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'frame.data'), Buffer.alloc(10_000, 0x5a), { mode: 0o604 });
  fs.writeFileSync(path.join(dir, 'precious'), 'precious\n', { mode: 0o644 });
  const snapshot = (): unknown => {
    const entries = listTree(dir);
    return {
      root: (() => {
        const s = fs.lstatSync(dir);
        return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtimeMs: s.mtimeMs };
      })(),
      entries: entries.map((e: TreeEntry) => {
        const s = fs.lstatSync(path.join(dir, e.path));
        return { ...e, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, bytes: e.type === 'file' ? fs.readFileSync(path.join(dir, e.path)).toString('base64') : null };
      }),
    };
  };
  return { dir, snapshot };
}

describe('hardening: filesystem safety', function () {
  this.timeout(60_000);
  let base = '';
  let logger = new MemoryLogger();
  const hooks: DecodeBoundaryHook[] = [];
  const children: NodeChild[] = [];
  const readers: FrameReader[] = [];

  function hookFor(env: Record<string, string>): DecodeBoundaryHook {
    const hook = loadDecodeBoundaryHook(env, logger);
    hooks.push(hook);
    return hook;
  }

  beforeEach(() => {
    base = makeTempDir('fs');
    logger = new MemoryLogger();
  });

  afterEach(async () => {
    for (const hook of hooks.splice(0)) hook.close();
    for (const reader of readers.splice(0)) reader.close();
    for (const child of children.splice(0)) await child.dispose();
    removeTree(base);
  });

  /** Writes `count` verified frames to a started camera and checks a reader sees the last one. */
  async function exportSomeFrames(hook: DecodeBoundaryHook, dir: string, cameraId: string, count: number): Promise<void> {
    const source = new FrameSource(nv12FrameSize(64, 32));
    for (let i = 0; i < count; i++) hook.onFrame(cameraId, source.next());
    const reader = FrameReader.open(cameraId, { dir });
    readers.push(reader);
    const frame = await waitFor('a frame', 5000, () => reader.latest() ?? undefined);
    expect(frame.meta.frameId).to.equal(count);
    expect(frameProblem(frame.data, frame.meta.frameId)).to.equal(null);
    reader.close();
  }

  describe('the export dir itself', () => {
    it('refuses an export dir that is a symbolic link: one error line, nothing written at the target', () => {
      const target = path.join(base, 'target');
      fs.mkdirSync(target, { mode: 0o750 });
      const link = path.join(base, 'vas');
      fs.symlinkSync(target, link);
      const hook = hookFor(exportEnv(link));
      expect(hook, 'export off as a whole').to.equal(NOOP_HOOK);
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      const tap = hook.ffmpegOutput('cam-2', 3);
      hook.onFrame('cam-1', new Uint8Array(nv12FrameSize(64, 32)));
      hook.onStreamStop('cam-1');
      const errors = linesAt(logger.lines, 'error');
      expect(errors, logger.lines.join('\n')).to.have.length(1);
      for (const line of errors) expect(line).to.include(`export dir ${link} is a symbolic link`).and.to.include('AI_FRAME_EXPORT_DIR');
      expect(tap.args).to.deep.equal([]);
      expect(tap.stdio).to.deep.equal([]);
      expect(listTree(target)).to.deep.equal([]);
      expect(fs.readlinkSync(link)).to.equal(target);
    });

    it('refuses an export dir owned by another uid (65534): one error line, nothing created in it', function () {
      skipUnlessRoot(this, 'chown to uid 65534');
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir, { mode: 0o777 });
      fs.chownSync(dir, NOBODY, NOBODY);
      const hook = hookFor(exportEnv(dir));
      expect(hook).to.equal(NOOP_HOOK);
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      const errors = linesAt(logger.lines, 'error');
      expect(errors, logger.lines.join('\n')).to.have.length(1);
      expect(errors[0]).to.include(`export dir ${dir} (owner uid ${NOBODY}, mode 0`).and.to.include("is not VAS's own").and.to.include("left untouched");
      expect(listTree(dir)).to.deep.equal([]);
    });

    it('refuses an export dir that is a regular file', () => {
      const file = path.join(base, 'vas');
      fs.writeFileSync(file, 'not a dir');
      hookFor(exportEnv(file)).onStreamStart('cam-1', { width: 64, height: 32 });
      const errors = linesAt(logger.lines, 'error');
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include(`export dir ${file} is not a directory`);
      expect(fs.readFileSync(file, 'utf8')).to.equal('not a dir');
    });

    /** Every entry under `dir` with its mode, owner and bytes. */
    function fullSnapshot(dir: string): unknown {
      const root = fs.lstatSync(dir);
      return {
        mode: root.mode & 0o7777,
        entries: listTree(dir).map((entry) => ({
          ...entry,
          bytes: entry.type === 'file' ? fs.readFileSync(path.join(dir, entry.path)).toString('base64') : null,
        })),
      };
    }

    it('a shared dir (mode 1777, other programs\' files named like cameras, a fake frame.meta): nothing changes, one line', () => {
      const dir = path.join(base, 'shared');
      fs.mkdirSync(dir);
      fs.chmodSync(dir, 0o1777);
      fs.mkdirSync(path.join(dir, 'cam1'));
      fs.writeFileSync(path.join(dir, 'cam1', 'other-app-data'), 'another program keeps this\n');
      fs.writeFileSync(path.join(dir, 'cam2'), 'a file named like a camera\n');
      fs.mkdirSync(path.join(dir, 'cam3'));
      fs.writeFileSync(path.join(dir, 'cam3', 'frame.meta'), Buffer.alloc(200, 7));
      const before = fullSnapshot(dir);
      const hook = hookFor(exportEnv(dir));
      for (const id of ['cam1', 'cam2', 'cam3', 'cam4']) {
        const tap = hook.ffmpegOutput(id, 3);
        expect(tap.args, id).to.deep.equal([]);
      }
      hook.close();
      expect(fullSnapshot(dir), 'every byte, and the mode 1777').to.deep.equal(before);
      expect(logger.lines, logger.lines.join('\n')).to.have.length(1);
      expect(logger.lines[0]).to.include(`export dir ${dir} (owner uid 0, mode 1777) is not VAS's own`).and.to.include('frame export is off');
    });

    it('in a dir of its own, foreign entries named like cameras stay untouched and only those cameras are refused', () => {
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir, { mode: 0o750 });
      fs.mkdirSync(path.join(dir, 'cam1'));
      fs.writeFileSync(path.join(dir, 'cam1', 'other-app-data'), 'another program keeps this\n');
      fs.writeFileSync(path.join(dir, 'cam2'), 'a file named like a camera\n');
      fs.mkdirSync(path.join(dir, 'cam3'));
      fs.writeFileSync(path.join(dir, 'cam3', 'frame.meta'), Buffer.alloc(200, 7));
      fs.writeFileSync(path.join(dir, 'cam3', 'frame.data'), Buffer.alloc(4096, 7));
      const before = fullSnapshot(dir);
      const hook = hookFor(exportEnv(dir));
      for (const id of ['cam1', 'cam2', 'cam3']) expect(hook.ffmpegOutput(id, 3).args, id).to.deep.equal([]);
      expect(hook.ffmpegOutput('cam4', 3).args, 'cam4 is free').not.to.deep.equal([]);
      const errors = linesAt(logger.lines, 'error');
      expect(errors, logger.lines.join('\n')).to.have.length(3);
      expect(errors[0]).to.include(`${path.join(dir, 'cam1')} holds "other-app-data"`);
      expect(errors[1]).to.include(`${path.join(dir, 'cam2')} is not a directory (a regular file)`);
      expect(errors[2]).to.include(`${path.join(dir, 'cam3')}: frame.meta is not a valid export header`);
      for (const line of errors) expect(line).to.include('left untouched');
      hook.close();
      expect(fullSnapshot(dir)).to.deep.equal(before);
    });

    it('/dev/shm itself as the export dir is refused with one line', () => {
      const hook = hookFor(exportEnv('/dev/shm'));
      expect(hook).to.equal(NOOP_HOOK);
      expect(logger.lines).to.have.length(1);
      expect(logger.lines[0]).to.match(/export dir \/dev\/shm \(owner uid 0, mode 1777\) is not VAS's own/);
    });
  });

  describe('planted entries inside the export dir', () => {
    it('a symbolic link at <dir>/<camera> to a victim directory: left as it is, the camera is refused with one line', async () => {
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir, { mode: 0o750 });
      const victim = makeVictim(base);
      const before = victim.snapshot();
      fs.symlinkSync(victim.dir, path.join(dir, 'cam-1'));
      const hook = hookFor(exportEnv(dir));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      const errors = linesAt(logger.lines, 'error');
      expect(errors, logger.lines.join('\n')).to.have.length(1);
      expect(errors[0]).to.include(`${path.join(dir, 'cam-1')} is not a directory (a symbolic link)`).and.to.include('left untouched');
      hook.onFrame('cam-1', new Uint8Array(nv12FrameSize(64, 32)));
      hook.onStreamStop('cam-1');
      expect(fs.readlinkSync(path.join(dir, 'cam-1')), 'the link is still there').to.equal(victim.dir);
      expect(victim.snapshot()).to.deep.equal(before);
      hook.onStreamStart('cam-2', { width: 64, height: 32 });
      await exportSomeFrames(hook, dir, 'cam-2', 3);
      hook.close();
    });

    it('symbolic links at <dir>/<camera>/frame.meta and frame.data to victim files: left as they are, the camera is refused', async () => {
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir, { mode: 0o750 });
      const victim = makeVictim(base);
      const before = victim.snapshot();
      const planted = path.join(dir, 'cam-1');
      fs.mkdirSync(planted);
      fs.symlinkSync(path.join(victim.dir, 'frame.meta'), path.join(planted, 'frame.meta'));
      fs.symlinkSync(path.join(victim.dir, 'frame.data'), path.join(planted, 'frame.data'));
      const tree = listTree(dir);
      const hook = hookFor(exportEnv(dir));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      const errors = linesAt(logger.lines, 'error');
      expect(errors, logger.lines.join('\n')).to.have.length(1);
      expect(errors[0]).to.include('not a regular file').and.to.include('left untouched');
      hook.onStreamStop('cam-1');
      expect(victim.snapshot()).to.deep.equal(before);
      expect(listTree(dir)).to.deep.equal(tree);
    });

    it('a planted "abandoned temporary" (.tmp-<camera>-<dead pid>-<hex>) that is a link, or holds a link: never followed, never removed', async () => {
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir, { mode: 0o750 });
      const victim = makeVictim(base);
      const before = victim.snapshot();
      fs.symlinkSync(victim.dir, path.join(dir, '.tmp-cam-1-999999-deadbeef'));
      fs.mkdirSync(path.join(dir, '.tmp-cam-1-999998-cafebabe'));
      fs.symlinkSync(victim.dir, path.join(dir, '.tmp-cam-1-999998-cafebabe', 'inner'));
      fs.symlinkSync(path.join(victim.dir, 'precious'), path.join(dir, '.tmp-cam-1-999998-cafebabe', 'frame.meta'));
      const tree = listTree(dir);
      const hook = hookFor(exportEnv(dir));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      expect(logger.lines, logger.lines.join('\n')).to.deep.equal([]);
      await exportSomeFrames(hook, dir, 'cam-1', 3);
      hook.onStreamStop('cam-1');
      expect(victim.snapshot()).to.deep.equal(before);
      expect(listTree(dir), 'only what the plugin made is gone').to.deep.equal(tree);
    });

    it('a real abandoned temporary of a dead writer of this pid namespace (only frame.meta and frame.data) is removed', async () => {
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir, { mode: 0o750 });
      const temporary = path.join(dir, '.tmp-cam-1-999997-0badf00d');
      fs.mkdirSync(temporary);
      fs.writeFileSync(path.join(temporary, 'frame.meta'), Buffer.alloc(40));
      const hook = hookFor(exportEnv(dir));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      expect(logger.lines, logger.lines.join('\n')).to.deep.equal([]);
      expect(fs.existsSync(temporary)).to.equal(false);
      hook.onStreamStop('cam-1');
      expect(listTree(dir)).to.deep.equal([]);
    });
  });

  describe('hostile camera ids', () => {
    const HOSTILE: ReadonlyArray<[string, unknown]> = [
      ['empty', ''],
      ['dot', '.'],
      ['dot-dot', '..'],
      ['parent', '../x'],
      ['grandparent', '../../x'],
      ['great-grandparent', '../../../x'],
      ['slash', 'a/b'],
      ['absolute', '/etc/passwd'],
      ['trailing slash', 'cam/'],
      ['hidden', '.hidden'],
      ['temporary name', '.tmp-cam-1-1-deadbeef'],
      ['dots inside', 'a..b'],
      ['NUL', 'a\0b'],
      ['only NUL', '\0'],
      ['newline', 'a\nb'],
      ['trailing newline', 'abc\n'],
      ['leading newline', '\nabc'],
      ['tab', 'a\tb'],
      ['carriage return', 'a\rb'],
      ['ANSI escape', '\u001b[31mred'],
      ['65 chars', 'x'.repeat(65)],
      ['4096 chars', 'x'.repeat(4096)],
      ['leading space', ' a'],
      ['trailing space', 'a '],
      ['inner space', 'a b'],
      ['leading dash', '-a'],
      ['leading underscore', '_a'],
      ['backslash', 'a\\b'],
      ['colon', 'a:b'],
      ['star', 'a*'],
      ['tilde', '~'],
      ['percent-encoded', 'a%2F..%2Fb'],
      ['accented', 'caméra'],
      ['CJK', '摄像头'],
      ['zero-width space', 'cam\u200b'],
      ['fullwidth', 'ｃａｍ'],
      ['combining accent', 'cam\u0301'],
      ['right-to-left override', 'cam\u202e1'],
      ['lone surrogate', 'cam\ud800'],
      ['emoji', 'cam\u{1F4F7}'],
      ['null', null],
      ['undefined', undefined],
      ['number', 42],
      ['object', { toString: () => 'cam-1' }],
      ['array', ['cam-1']],
    ];

    function runBattery(hook: DecodeBoundaryHook, dir: string): void {
      const frame = new Uint8Array(nv12FrameSize(64, 32));
      for (const [name, id] of HOSTILE) {
        const cameraId = id as string;
        const mark = logger.lines.length;
        expect(() => hook.onStreamStart(cameraId, { width: 64, height: 32 }), name).not.to.throw();
        const startLines = logger.lines.slice(mark);
        expect(startLines, `${name}: onStreamStart lines`).to.have.length(1);
        expect(startLines[0], name).to.match(/^error: camera id (.* is not accepted|must be a string)/);

        const mark2 = logger.lines.length;
        let tap: ReturnType<DecodeBoundaryHook['ffmpegOutput']> | undefined;
        expect(() => { tap = hook.ffmpegOutput(cameraId, 3); }, name).not.to.throw();
        expect(tap!.args, name).to.deep.equal([]);
        expect(tap!.stdio, name).to.deep.equal([]);
        expect(linesAt(logger.lines.slice(mark2), 'error'), `${name}: ffmpegOutput lines`).to.have.length(1);

        const mark3 = logger.lines.length;
        expect(() => hook.onFrame(cameraId, frame), name).not.to.throw();
        expect(() => hook.onStreamStop(cameraId), name).not.to.throw();
        expect(hook.latestFrame(cameraId), name).to.equal(null);
        expect(linesAt(logger.lines.slice(mark3), 'error'), `${name}: onFrame/onStreamStop errors`).to.deep.equal([]);
        expect(logger.lines.slice(mark3).length, `${name}: onFrame/onStreamStop lines`).to.be.at.most(2);

        if (typeof id === 'string') expect(() => FrameReader.open(cameraId, { dir }), name).to.throw(/camera id/);
      }
      // Every line is one line: no id smuggles a newline, NUL or escape sequence into the log.
      for (const line of logger.lines) expect(line, JSON.stringify(line)).not.to.match(/[\u0000-\u001f\u007f]/);
    }

    it('each gets one clear error line, never throws, and nothing is created under the export dir or next to it (export dir new)', () => {
      const dir = path.join(base, 'l1', 'l2', 'vas');
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      const hook = hookFor(exportEnv(dir));
      expect(treeNames(dir), 'the hook creates its export dir, empty, when it loads').to.deep.equal([]);
      const before = treeNames(base);
      runBattery(hook, dir);
      expect(treeNames(base)).to.deep.equal(before);
      expect(treeNames(dir)).to.deep.equal([]);
    });

    it('the same with an existing export dir that already holds a live export', async () => {
      const dir = path.join(base, 'l1', 'l2', 'vas');
      const hook = hookFor(exportEnv(dir));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      await exportSomeFrames(hook, dir, 'cam-1', 2);
      logger.lines.length = 0;
      const before = treeNames(base);
      runBattery(hook, dir);
      expect(treeNames(base)).to.deep.equal(before);
      expect(treeNames(dir)).to.deep.equal(['dir:cam-1', 'file:cam-1/frame.data', 'file:cam-1/frame.meta']);
    });

    it('accepts the boundary cases of the id pattern (64 chars, single char, dots, dashes, underscores)', () => {
      const dir = path.join(base, 'vas');
      const hook = hookFor(exportEnv(dir));
      for (const id of ['x'.repeat(64), 'a', '0', 'a.b', 'a-b_c', 'A.', 'Z9._-']) {
        hook.onStreamStart(id, { width: 64, height: 32 });
        expect(logger.lines, id).to.deep.equal([]);
        expect(fs.lstatSync(path.join(dir, id)).isDirectory(), id).to.equal(true);
        hook.onStreamStop(id);
      }
      expect(listTree(dir)).to.deep.equal([]);
    });
  });

  describe('modes and group', () => {
    function expectModes(dir: string, cameraId: string, gid: number): void {
      for (const [file, mode] of [[dir, 0o750], [path.join(dir, cameraId), 0o750],
        [path.join(dir, cameraId, 'frame.meta'), 0o640], [path.join(dir, cameraId, 'frame.data'), 0o640]] as const) {
        const stat = fs.statSync(file);
        expect((stat.mode & 0o7777).toString(8), file).to.equal(mode.toString(8));
        expect(stat.uid, file).to.equal(process.getuid!());
        expect(stat.gid, file).to.equal(gid);
      }
    }

    for (const umask of [0o000, 0o077]) {
      it(`dirs 0750 and files 0640 whatever the umask (${umask.toString(8).padStart(3, '0')})`, () => {
        const previous = process.umask(umask);
        try {
          const dir = path.join(base, 'new', 'vas');
          const hook = hookFor(exportEnv(dir));
          hook.onStreamStart('cam-1', { width: 64, height: 32 });
          expect(logger.lines).to.deep.equal([]);
          expectModes(dir, 'cam-1', process.getgid!());
        } finally {
          process.umask(previous);
        }
      });
    }

    for (const group of ['daemon', String(DAEMON_GID), String(NOBODY)]) {
      it(`AI_FRAME_EXPORT_GROUP=${group}: the export dir, camera dir and files carry that gid`, function () {
        skipUnlessRoot(this, 'giving files to a group this user is not in');
        const dir = path.join(base, 'vas');
        const hook = hookFor(exportEnv(dir, { AI_FRAME_EXPORT_GROUP: group }));
        hook.onStreamStart('cam-1', { width: 64, height: 32 });
        expect(logger.lines).to.deep.equal([]);
        expectModes(dir, 'cam-1', group === 'daemon' ? DAEMON_GID : Number(group));
      });
    }

    it('an unknown AI_FRAME_EXPORT_GROUP turns export off with one error line naming it', () => {
      const dir = path.join(base, 'vas');
      const hook = hookFor(exportEnv(dir, { AI_FRAME_EXPORT_GROUP: 'no-such-group-vas' }));
      expect(hook).to.equal(NOOP_HOOK);
      expect(logger.lines).to.have.length(1);
      const line = logger.lines[0]!;
      // One line for the operator, without dependency-injection internals.
      expect(line, JSON.stringify(line)).not.to.include('\n');
      expect(line, JSON.stringify(line)).not.to.include('Cannot inject');
      expect(line).to.equal('error: frame export cannot start: AI_FRAME_EXPORT_GROUP=no-such-group-vas is not a known group on this host; frame export is off');
      expect(fs.existsSync(dir)).to.equal(false);
    });

    it('an export dir that already exists in the export group (0750) is used, and group members read it', async function () {
      skipUnlessRoot(this, 'a reader running as uid 65534');
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir);
      fs.chmodSync(dir, 0o750);
      fs.chownSync(dir, 0, DAEMON_GID);
      const hook = hookFor(exportEnv(dir, { AI_FRAME_EXPORT_GROUP: 'daemon' }));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      expect(logger.lines).to.deep.equal([]);
      expectModes(dir, 'cam-1', DAEMON_GID);
      await exportSomeFrames(hook, dir, 'cam-1', 4);

      // A reader running as nobody in the export group reads verified frames.
      const member = NodeChild.fork(fixture('reader-child'), { uid: NOBODY, gid: DAEMON_GID });
      children.push(member);
      await member.call('open', { id: 'cam-1', dir });
      const frame = await member.call<{ frameId: number; problem: string | null }>('waitFrame', { timeoutMs: 5000 });
      expect(frame).to.deep.include({ frameId: 4, problem: null });
    });

    it('an existing export dir in another group than AI_FRAME_EXPORT_GROUP is refused, not changed', () => {
      const dir = path.join(base, 'vas');
      fs.mkdirSync(dir, { mode: 0o750 });
      const hook = hookFor(exportEnv(dir, { AI_FRAME_EXPORT_GROUP: 'daemon' }));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      const errors = linesAt(logger.lines, 'error');
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include(`export dir ${dir} has group 0 but AI_FRAME_EXPORT_GROUP is gid ${DAEMON_GID}`);
      expect(fs.statSync(dir).gid).to.equal(0);
      expect(listTree(dir)).to.deep.equal([]);
    });

    it('a reader outside the export group is told why it cannot read (permission), not "not-present"', async function () {
      skipUnlessRoot(this, 'a reader running as uid 65534');
      const dir = path.join(base, 'vas');
      const hook = hookFor(exportEnv(dir, { AI_FRAME_EXPORT_GROUP: 'daemon' }));
      hook.onStreamStart('cam-1', { width: 64, height: 32 });
      await exportSomeFrames(hook, dir, 'cam-1', 2);
      const outsider = NodeChild.fork(fixture('reader-child'), { uid: NOBODY, gid: NOBODY });
      children.push(outsider);
      const opened = await outsider.call<{ status: string; problem: string | null }>('open', { id: 'cam-1', dir });
      expect(opened.status, JSON.stringify(opened)).to.equal('invalid');
      expect(opened.problem ?? '').to.match(/EACCES|permission denied/i);
    });
  });
});
