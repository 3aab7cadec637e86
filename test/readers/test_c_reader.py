"""Standalone tests of the C reader (src/reader/c/vas_frames.h through example.c, the
vas_frames_dump program) against exports made by test/readers/make_fake_export.py.

Builds with gcc into a temporary directory (the required flags, a stricter warning set, an
ASan/UBSan build and a C++ include check), then runs the dump against static and live exports.

Run: /usr/bin/python3 -m unittest discover -s test/readers -p 'test_*.py' -v
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
C_DIR = os.path.join(ROOT, 'src', 'reader', 'c')
sys.path.insert(0, os.path.join(ROOT, 'src', 'reader', 'python'))
sys.path.insert(0, HERE)

import vas_frames as vf  # noqa: E402
from make_fake_export import FakeExport, dead_pid, fnv1a64, mono_ns, pattern  # noqa: E402

PY = sys.executable
FAKE = os.path.join(HERE, 'make_fake_export.py')
REQUIRED_FLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2']
LINE_RE = re.compile(r'^frame_id=(\d+) timestamp_ns=(\d+) width=(\d+) height=(\d+) generation=(\d+) '
                     r'data_size=(\d+) checksum=([0-9a-f]{16})$')

_build_dir = None
DUMP = DUMP_ASAN = None


def setUpModule():
    global _build_dir, DUMP, DUMP_ASAN
    if shutil.which('gcc') is None:
        raise unittest.SkipTest('gcc not installed')
    _build_dir = tempfile.mkdtemp(prefix='vas-c-reader-build-')
    DUMP = os.path.join(_build_dir, 'vas_frames_dump')
    DUMP_ASAN = os.path.join(_build_dir, 'vas_frames_dump_asan')
    src = os.path.join(C_DIR, 'example.c')
    subprocess.run(['gcc', *REQUIRED_FLAGS, '-o', DUMP, src], check=True)
    subprocess.run(['gcc', '-std=c11', '-Wall', '-Wextra', '-Werror', '-O1', '-g', '-fno-omit-frame-pointer',
                    '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-o', DUMP_ASAN, src], check=True)


def tearDownModule():
    if _build_dir:
        shutil.rmtree(_build_dir, True)


def parse(stdout: str):
    out = []
    for line in stdout.splitlines():
        m = LINE_RE.match(line)
        assert m, f'unexpected dump line {line!r}'
        fid, ts, w, h, gen, size, checksum = m.groups()
        out.append(dict(frame_id=int(fid), timestamp_ns=int(ts), width=int(w), height=int(h),
                        generation=int(gen), data_size=int(size), checksum=checksum))
    return out


def expected_checksum(generation: int, frame_id: int, size: int) -> str:
    return f'{fnv1a64(pattern(generation, frame_id, size)):016x}'


class BuildTest(unittest.TestCase):
    def test_strict_warnings(self):
        subprocess.run(['gcc', *REQUIRED_FLAGS, '-Wpedantic', '-Wconversion', '-Wshadow', '-Wcast-qual',
                        '-Wstrict-prototypes', '-fsyntax-only', os.path.join(C_DIR, 'example.c')], check=True)

    def test_header_alone_in_c_and_cpp(self):
        with tempfile.TemporaryDirectory() as d:
            c = os.path.join(d, 't.c')
            with open(c, 'w') as f:
                f.write('#include "vas_frames.h"\nint main(void) { return vas_frames_valid_camera_id("a") ? 0 : 1; }\n')
            subprocess.run(['gcc', *REQUIRED_FLAGS, '-I', C_DIR, '-o', os.path.join(d, 't'), c], check=True)
            subprocess.run([os.path.join(d, 't')], check=True)
            if shutil.which('g++'):
                cpp = os.path.join(d, 't.cpp')
                shutil.copy(c, cpp)
                subprocess.run(['g++', '-std=c++17', '-Wall', '-Wextra', '-Werror', '-I', C_DIR, '-fsyntax-only', cpp],
                               check=True)

    def test_static_asserts_are_live(self):
        """A header whose layout drifted must not compile: break one constant and expect a
        _Static_assert failure naming the field."""
        with open(os.path.join(C_DIR, 'vas_frames.h')) as f:
            text = f.read()
        broken = text.replace('#define VAS_FRAMES_HEADER_HEARTBEAT_NS 96u', '#define VAS_FRAMES_HEADER_HEARTBEAT_NS 100u')
        self.assertNotEqual(text, broken)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'vas_frames.h'), 'w') as f:
                f.write(broken)
            c = os.path.join(d, 't.c')
            with open(c, 'w') as f:
                f.write('#include "vas_frames.h"\nint main(void) { return 0; }\n')
            p = subprocess.run(['gcc', *REQUIRED_FLAGS, '-I', d, '-fsyntax-only', c], capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn('vas_frame_meta_header_v1.heartbeat_ns must be at offset', p.stderr)


class DumpTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix='vas-c-reader-')
        self.addCleanup(shutil.rmtree, self.dir, True)

    def export(self, camera='cam1', **kw) -> FakeExport:
        ex = FakeExport(self.dir, camera, **kw)
        self.addCleanup(ex.close)
        return ex

    def dump(self, *args, asan=False, timeout=30):
        exe = DUMP_ASAN if asan else DUMP
        return subprocess.run([exe, self.dir, *[str(a) for a in args]], capture_output=True, text=True,
                              timeout=timeout)


class StaticExportTest(DumpTestCase):
    def test_latest_frame(self):
        for asan in (False, True):
            with self.subTest(asan=asan):
                cam = f'cam{int(asan)}'
                ex = self.export(cam, width=64, height=48, slots=4)
                for _ in range(6):
                    ex.write_frame()
                p = self.dump(cam, asan=asan)
                self.assertEqual(p.returncode, 0, p.stderr)
                [f] = parse(p.stdout)
                self.assertEqual((f['frame_id'], f['width'], f['height'], f['generation'], f['data_size']),
                                 (6, 64, 48, ex.generation, 4608))
                self.assertEqual(f['checksum'], expected_checksum(ex.generation, 6, 4608))
                self.assertIn('status=live', p.stderr)

    def test_same_line_as_the_python_reader(self):
        ex = self.export(width=128, height=96)
        for _ in range(3):
            ex.write_frame()
        c = self.dump('cam1')
        py = subprocess.run([PY, os.path.join(ROOT, 'src', 'reader', 'python', 'vas_frames.py'), 'cam1', '--dir',
                             self.dir, '--latest', '--checksum'], capture_output=True, text=True)
        self.assertEqual(c.returncode, 0, c.stderr)
        self.assertEqual(py.returncode, 0, py.stderr)
        self.assertEqual(c.stdout, py.stdout)

    def test_not_present(self):
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, '')
        self.assertIn('status=not-present', p.stderr)

    def test_no_frame_yet(self):
        self.export()
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertIn('skipped=0', p.stderr)

    def test_odd_slot_is_skipped(self):
        ex = self.export(slots=1)
        for _ in range(3):
            ex.write_frame()
        ex.begin_frame()
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, '')
        self.assertRegex(p.stderr, r'skipped=[1-9]\d*')

    def test_lapped_slot_is_skipped(self):
        ex = self.export(slots=4)
        for _ in range(5):
            ex.write_frame()
        ex.publish(1, count=False)
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, '')
        self.assertRegex(p.stderr, r'skipped=[1-9]\d*')

    def test_status_seq_stuck_odd_prints_nothing(self):
        ex = self.export()
        ex.write_frame()
        ex.leave_status_odd()
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, '')

    def test_stopped_with_files_present(self):
        ex = self.export()
        ex.write_frame()
        ex.stop(remove=False)
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, '')
        self.assertIn('status=not-present', p.stderr)

    def test_dead_writer_pid(self):
        ex = self.export(pid=dead_pid())
        ex.write_frame()
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, '')
        self.assertIn('status=writer-dead', p.stderr)

    def test_dead_pid_in_another_namespace_is_not_checked(self):
        ex = self.export(pid=dead_pid(), pidns=1)
        ex.write_frame()
        p = self.dump('cam1', 1, 500)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_stale_heartbeat(self):
        ex = self.export(pidns=0)
        ex.write_frame()
        ex.heartbeat(mono_ns() - 2_500_000_000)
        p = self.dump('cam1', 1, 200)
        self.assertEqual(p.returncode, 1)
        self.assertIn('status=writer-dead', p.stderr)

    def test_forward_compatible(self):
        ex = self.export(version=2, header_size=192, slot_meta_size=96, slots=3)
        for _ in range(4):
            ex.write_frame()
        p = self.dump('cam1')
        self.assertEqual(p.returncode, 0, p.stderr)
        [f] = parse(p.stdout)
        self.assertEqual(f['checksum'], expected_checksum(ex.generation, 4, ex.frame_size))

    def test_invalid_exports_same_messages_as_python(self):
        from test_python_reader import ValidationTest
        for i, (kw, message) in enumerate(ValidationTest.CASES):
            with self.subTest(message=message):
                cam = f'bad{i}'
                self.export(cam, **kw)
                p = self.dump(cam, 1, 500)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(f'status=invalid {message}\n', p.stderr)

    def test_usage_errors(self):
        for args in ([], ['only-dir'], ['d', '../x'], ['d', 'cam', 'x'], ['d', 'cam', '1', '2', '3']):
            p = subprocess.run([DUMP, *args], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, args)


class LiveExportTest(DumpTestCase):
    def serve(self, *args):
        proc = subprocess.Popen([PY, FAKE, 'serve', '--dir', self.dir, '--camera', 'cam1', *args],
                                stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close()))
        return proc

    def check_lines(self, lines, size):
        for f in lines:
            self.assertEqual(f['checksum'], expected_checksum(f['generation'], f['frame_id'], size),
                             f'torn or wrong frame {f}')
        keys = [(f['generation'], f['frame_id']) for f in lines]
        self.assertEqual(len(keys), len(set(keys)))

    def test_stream(self):
        self.serve('--fps', '200', '--seconds', '4')
        p = self.dump('cam1', 100, 5000)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = parse(p.stdout)
        self.assertEqual(len(lines), 100)
        ids = [f['frame_id'] for f in lines]
        self.assertEqual(ids, sorted(ids))
        self.check_lines(lines, 4608)

    def test_stress_never_prints_a_torn_frame(self):
        for slots, (w, h), asan in ((1, (64, 48), False), (1, (320, 240), False), (2, (64, 48), True)):
            with self.subTest(slots=slots, size=(w, h), asan=asan):
                cam = f's{slots}{w}{int(asan)}'
                proc = subprocess.Popen([PY, FAKE, 'serve', '--dir', self.dir, '--camera', cam, '--fps', '0',
                                         '--seconds', '5', '--slots', str(slots), '--width', str(w), '--height', str(h)],
                                        stdout=subprocess.PIPE, text=True)
                try:
                    proc.stdout.readline()
                    p = self.dump(cam, 400, 4000, asan=asan)
                finally:
                    proc.kill()
                    proc.wait()
                    proc.stdout.close()
                lines = parse(p.stdout)
                skipped = int(re.search(r'skipped=(\d+)', p.stderr).group(1))
                sys.stderr.write(f'\n    C stress slots={slots} {w}x{h} asan={asan}: frames={len(lines)} skipped={skipped} ')
                self.assertGreater(len(lines), 100, p.stderr)
                self.check_lines(lines, w * h * 3 // 2)

    def test_restart_after_stop(self):
        self._restart()

    def test_restart_after_crash(self):
        self._restart('--crash')

    def _restart(self, *extra):
        proc = self.serve('--fps', '100', '--seconds', '3', '--restart-after', '0.7', *extra)
        first = json.loads(proc.stdout.readline())
        p = self.dump('cam1', 150, 4000)
        second = json.loads(proc.stdout.readline())
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = parse(p.stdout)
        gens = [f['generation'] for f in lines]
        g1, g2 = int(first['generation']), int(second['generation'])
        self.assertEqual(gens[0], g1)
        self.assertEqual(gens[-1], g2)
        switch = gens.index(g2)
        self.assertTrue(all(g == g1 for g in gens[:switch]) and all(g == g2 for g in gens[switch:]))
        self.assertEqual(lines[switch]['frame_id'] < lines[switch - 1]['frame_id'], True)
        self.assertIn(f'status=restarted generation={g2}', p.stderr)
        self.check_lines(lines, 4608)


if __name__ == '__main__':
    unittest.main()
