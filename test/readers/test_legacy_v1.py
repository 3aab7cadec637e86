"""Format compatibility (docs/frame-export-format.md 3.5), both ways:

- the version 1 readers, frozen in legacy-v1/ (the Python reader and the C header with its
  example program, as released), read version 2 exports: frames and every version 1 field;
  they report `invalid` while an export is idle;
- the version 2 readers read version 1 exports (make_fake_export.py version=1) with the
  version 1 defaults (BT.601, limited range, no source geometry, polling), and the checked-in
  golden frame.meta files of every version (test/readers/golden/frame-meta-v*.bin).

Run: /usr/bin/python3 -m unittest discover -s test/readers -p 'test_*.py' -v
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LEGACY = os.path.join(HERE, 'legacy-v1')
READER_DIR = os.path.join(ROOT, 'src', 'reader', 'python')
C_DIR = os.path.join(ROOT, 'src', 'reader', 'c')
GOLDEN = os.path.join(HERE, 'golden')
sys.path.insert(0, READER_DIR)
sys.path.insert(0, HERE)

import vas_frames as vf  # noqa: E402
from make_fake_export import FakeExport, fnv1a64, mono_ns, pattern  # noqa: E402


def load_legacy_python():
    spec = importlib.util.spec_from_file_location('vas_frames_v1', os.path.join(LEGACY, 'vas_frames.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


v1 = load_legacy_python()
_build = None
LEGACY_DUMP = CONFORMANCE_C = None


def setUpModule():
    global _build, LEGACY_DUMP, CONFORMANCE_C
    _build = tempfile.mkdtemp(prefix='vas-legacy-build-')
    if shutil.which('gcc'):
        LEGACY_DUMP = os.path.join(_build, 'vas_frames_dump_v1')
        flags = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2']
        subprocess.run(['gcc', *flags, '-I', LEGACY, '-o', LEGACY_DUMP, os.path.join(LEGACY, 'example.c')], check=True)
        CONFORMANCE_C = os.path.join(_build, 'conformance_reader')
        subprocess.run(['gcc', *flags, '-I', C_DIR, '-o', CONFORMANCE_C,
                        os.path.join(HERE, 'support', 'conformance_reader.c')], check=True)


def tearDownModule():
    if _build:
        shutil.rmtree(_build, True)


class ExportTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix='vas-legacy-')
        self.addCleanup(shutil.rmtree, self.dir, True)

    def export(self, camera='cam1', **kw) -> FakeExport:
        ex = FakeExport(self.dir, camera, **kw)
        self.addCleanup(ex.close)
        return ex

    def legacy_dump(self, *args):
        if LEGACY_DUMP is None:
            self.skipTest('gcc not installed')
        return subprocess.run([LEGACY_DUMP, self.dir, *map(str, args)], capture_output=True, text=True, timeout=30)


class Version1ReadersOnVersion2Test(ExportTestCase):
    def test_python_reads_frames_and_every_v1_field(self):
        ex = self.export(width=96, height=64, slots=3, color_matrix=1, color_range=1)
        ex.set_source(1920, 1080)
        for _ in range(5):
            ex.write_frame()
        self.assertEqual(ex.get_field('version'), 2)
        with v1.FrameReader('cam1', dir=self.dir) as r:
            self.assertEqual(r.status(), 'live')
            self.assertEqual(r.generation, ex.generation)
            f = r.latest()
            self.assertEqual((f.frame_id, f.slot, f.width, f.height, f.strides, f.uv_offset, f.data_size),
                             (5, 1, 96, 64, (96, 96), 96 * 64, ex.frame_size))
            self.assertEqual(f.data, pattern(ex.generation, 5, ex.frame_size))
            counters = r.counters()
            self.assertEqual((counters['latest_frame_id'], counters['frames_written']), (5, 5))
            with open(os.path.join(ex.path, 'frame.meta'), 'rb') as meta:
                raw = meta.read()
            geo = v1.validate_header(raw, len(raw), os.path.getsize(os.path.join(ex.path, 'frame.data')))
            self.assertEqual((geo.version, geo.header_size, geo.slot_count, geo.writer_pid, geo.writer_pidns),
                             (2, 160, 3, ex.get_field('writer_pid'), ex.get_field('writer_pidns')))

    def test_python_follows_a_version_2_stream(self):
        ex = self.export()
        pause = threading.Event()

        def writer():
            for _ in range(10):
                pause.wait(0.01)
                ex.write_frame()
        t = threading.Thread(target=writer)
        t.start()
        got = []
        with v1.FrameReader('cam1', dir=self.dir) as r:
            while not got or got[-1] < 10:
                f = r.wait_next(5.0)
                self.assertIsNotNone(f)
                self.assertEqual(f.data, pattern(ex.generation, f.frame_id, ex.frame_size))
                got.append(f.frame_id)
        t.join()
        self.assertEqual(got, sorted(set(got)))

    def test_python_reports_invalid_while_idle(self):
        ex = self.export()
        ex.write_frame()
        with v1.FrameReader('cam1', dir=self.dir) as r:
            self.assertEqual(r.status(), 'live')
            ex.idle()
            self.assertEqual(r.status(), 'invalid')
            self.assertIn('state 3', r.error)
            ex.set_state(1)
            self.assertEqual(r.status(), 'live')

    def test_c_reads_a_version_2_export(self):
        ex = self.export()
        for _ in range(4):
            ex.write_frame()
        p = self.legacy_dump('cam1')
        self.assertEqual(p.returncode, 0, p.stderr)
        checksum = f'{fnv1a64(pattern(ex.generation, 4, ex.frame_size)):016x}'
        self.assertRegex(p.stdout, rf'^frame_id=4 timestamp_ns=\d+ width=64 height=48 generation={ex.generation} '
                                   rf'data_size=4608 checksum={checksum}\n$')

    def test_c_follows_a_version_2_stream(self):
        writer = subprocess.Popen([sys.executable, os.path.join(HERE, 'make_fake_export.py'), 'serve', '--dir', self.dir,
                                   '--camera', 'cam1', '--fps', '100', '--seconds', '5'], stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (writer.kill(), writer.wait(), writer.stdout.close()))
        generation = int(json.loads(writer.stdout.readline())['generation'])
        p = self.legacy_dump('cam1', 20, 4000)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 20)
        for line in lines:
            fid = int(re.search(r'frame_id=(\d+)', line).group(1))
            self.assertIn(f'checksum={fnv1a64(pattern(generation, fid, 4608)):016x}', line)

    def test_c_reports_invalid_while_idle(self):
        ex = self.export()
        ex.write_frame()
        ex.idle()
        p = self.legacy_dump('cam1', 1, 300)
        self.assertEqual(p.returncode, 2)
        self.assertIn('status=invalid', p.stderr)


class Version2ReadersOnVersion1Test(ExportTestCase):
    def test_python(self):
        ex = self.export(version=1)
        self.assertEqual((ex.get_field('version'), ex.get_field('header_size')), (1, 128))
        for _ in range(3):
            ex.write_frame()
        with vf.FrameReader('cam1', dir=self.dir) as r:
            self.assertEqual(r.status(), vf.LIVE)
            f = r.latest()
            self.assertEqual(f.data, pattern(ex.generation, 3, ex.frame_size))
            self.assertEqual((f.color_matrix, f.color_range, f.source_size),
                             (vf.COLOR_MATRIX_BT601, vf.COLOR_RANGE_LIMITED, None))
            self.assertIsNone(r._notify_address)  # no futex word: wait_next polls
            threading.Timer(0.05, ex.write_frame).start()
            with mock.patch.object(vf, '_futex_wait', side_effect=AssertionError('futex on a version 1 file')):
                self.assertEqual(r.wait_next(5.0).frame_id, 4)

    def test_c(self):
        if CONFORMANCE_C is None:
            self.skipTest('gcc not installed')
        ex = self.export(version=1)
        for _ in range(3):
            ex.write_frame()
        p = subprocess.run([CONFORMANCE_C, self.dir, 'cam1'], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual((out['version'], out['header_size'], out['frame_id'], out['data_fnv1a64']),
                         (1, 128, '3', f'{fnv1a64(pattern(ex.generation, 3, ex.frame_size)):016x}'))
        self.assertEqual((out['color_matrix'], out['color_range'], out['source_width'], out['source_height']),
                         (6, 1, 0, 0))


class GoldenFilesTest(unittest.TestCase):
    """The checked-in frame.meta of each format version (written by the TypeScript writer), with
    a zero-filled frame.data beside it: the new Python and C readers decode exactly the golden
    values (frame bytes aside: the golden files keep the meta only)."""

    def test_every_golden_version(self):
        metas = sorted(glob.glob(os.path.join(GOLDEN, 'frame-meta-v*.bin')))
        self.assertTrue(metas)
        for meta_path in metas:
            with self.subTest(golden=os.path.basename(meta_path)):
                with open(meta_path[:-len('.bin')] + '.json') as f:
                    golden = json.load(f)
                with open(meta_path, 'rb') as f:
                    meta = bytearray(f.read())
                # The writer's fake clock made the heartbeat 1000 s old: refresh it, as the
                # cross-language conformance test does.
                struct.pack_into('<Q', meta, vf.Header.HEARTBEAT_NS, mono_ns())
                root = tempfile.mkdtemp(prefix='vas-golden-')
                self.addCleanup(shutil.rmtree, root, True)
                camera = os.path.join(root, 'golden')
                os.mkdir(camera)
                with open(os.path.join(camera, 'frame.meta'), 'wb') as f:
                    f.write(meta)
                with open(os.path.join(camera, 'frame.data'), 'wb') as f:
                    f.truncate(golden['slot_count'] * golden['slot_stride'])
                readers = {'python': [sys.executable, os.path.join(HERE, 'support', 'conformance_reader.py'),
                                      READER_DIR, root, 'golden']}
                if CONFORMANCE_C is not None:
                    readers['c'] = [CONFORMANCE_C, root, 'golden']
                for name, command in readers.items():
                    p = subprocess.run(command, capture_output=True, text=True, timeout=30)
                    self.assertEqual(p.returncode, 0, f'{name}: {p.stderr}')
                    out = json.loads(p.stdout)
                    fields = {k: v for k, v in golden.items() if k not in ('data_fnv1a64', 'data_hex')}
                    self.assertEqual({k: out.get(k) for k in fields}, fields, name)


if __name__ == '__main__':
    unittest.main()
