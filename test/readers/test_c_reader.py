"""Standalone tests of the C reader (src/reader/c/vas_frames.h through example.c, the
vas_frames_dump program, and support/c_reader_probe.c, which drives one reader step by step)
against exports made by test/readers/make_fake_export.py.

Builds with gcc into a temporary directory (the required flags, a stricter warning set, an
ASan/UBSan build and a C++ include check), then runs the dump against static and live exports
and puts the probe through the same sequences as the Python reader's tests.

Run: /usr/bin/python3 -m unittest discover -s test/readers -p 'test_*.py' -v
"""

from __future__ import annotations

import json
import os
import re
import struct
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
C_DIR = os.path.join(ROOT, 'src', 'reader', 'c')
sys.path.insert(0, os.path.join(ROOT, 'src', 'reader', 'python'))
sys.path.insert(0, HERE)

import vas_frames as vf  # noqa: E402
from make_fake_export import FakeExport, dead_pid, fnv1a64, mono_ns, pattern, zombie_pid  # noqa: E402

PY = sys.executable
FAKE = os.path.join(HERE, 'make_fake_export.py')
REQUIRED_FLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2']
LINE_RE = re.compile(r'^frame_id=(\d+) timestamp_ns=(\d+) width=(\d+) height=(\d+) generation=(\d+) '
                     r'data_size=(\d+) checksum=([0-9a-f]{16})$')

PROBE_SRC = os.path.join(HERE, 'support', 'c_reader_probe.c')
SANITIZE = ['-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']
OTHER_PIDNS = 4026531999 if vf._own_pidns() != 4026531999 else 4026532000

_build_dir = None
DUMP = DUMP_ASAN = PROBE = PROBE_ASAN = None


def setUpModule():
    global _build_dir, DUMP, DUMP_ASAN, PROBE, PROBE_ASAN
    if shutil.which('gcc') is None:
        raise unittest.SkipTest('gcc not installed')
    _build_dir = tempfile.mkdtemp(prefix='vas-c-reader-build-')
    os.chmod(_build_dir, 0o755)  # the permission tests run the probe as nobody
    DUMP = os.path.join(_build_dir, 'vas_frames_dump')
    DUMP_ASAN = os.path.join(_build_dir, 'vas_frames_dump_asan')
    PROBE = os.path.join(_build_dir, 'c_reader_probe')
    PROBE_ASAN = os.path.join(_build_dir, 'c_reader_probe_asan')
    src = os.path.join(C_DIR, 'example.c')
    strict = ['-std=c11', '-Wall', '-Wextra', '-Werror']
    subprocess.run(['gcc', *REQUIRED_FLAGS, '-o', DUMP, src], check=True)
    subprocess.run(['gcc', *strict, *SANITIZE, '-o', DUMP_ASAN, src], check=True)
    subprocess.run(['gcc', *REQUIRED_FLAGS, '-I', C_DIR, '-o', PROBE, PROBE_SRC], check=True)
    subprocess.run(['gcc', *strict, *SANITIZE, '-I', C_DIR, '-o', PROBE_ASAN, PROBE_SRC], check=True)


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

    def test_after_a_strict_posix_feature_macro(self):
        """A program that defines only _POSIX_C_SOURCE (glibc then hides syscall(2)) still builds."""
        with tempfile.TemporaryDirectory() as d:
            c = os.path.join(d, 't.c')
            with open(c, 'w') as f:
                f.write('#define _POSIX_C_SOURCE 200809L\n#include <stdio.h>\n#include "vas_frames.h"\n'
                        'int main(void) { vas_frames_reader r; return vas_frames_reader_init(&r, "/x", "a"); }\n')
            subprocess.run(['gcc', *REQUIRED_FLAGS, '-I', C_DIR, '-o', os.path.join(d, 't'), c], check=True)
            subprocess.run([os.path.join(d, 't')], check=True)

    def test_static_asserts_are_live(self):
        """A header whose layout drifted must not compile: break one constant (a version 1 and a
        version 2 field) and expect a _Static_assert failure naming the field."""
        with open(os.path.join(C_DIR, 'vas_frames.h')) as f:
            text = f.read()
        for define, broken_value, field in (('HEARTBEAT_NS 96u', 'HEARTBEAT_NS 100u', 'heartbeat_ns'),
                                            ('NOTIFY_SEQ 128u', 'NOTIFY_SEQ 132u', 'notify_seq'),
                                            ('SOURCE_HEIGHT 144u', 'SOURCE_HEIGHT 148u', 'source_height')):
            with self.subTest(field=field):
                broken = text.replace(f'#define VAS_FRAMES_HEADER_{define}', f'#define VAS_FRAMES_HEADER_{broken_value}')
                self.assertNotEqual(text, broken)
                with tempfile.TemporaryDirectory() as d:
                    with open(os.path.join(d, 'vas_frames.h'), 'w') as f:
                        f.write(broken)
                    c = os.path.join(d, 't.c')
                    with open(c, 'w') as f:
                        f.write('#include "vas_frames.h"\nint main(void) { return 0; }\n')
                    p = subprocess.run(['gcc', *REQUIRED_FLAGS, '-I', d, '-fsyntax-only', c], capture_output=True,
                                       text=True)
                    self.assertNotEqual(p.returncode, 0)
                    self.assertIn(f'vas_frame_meta_header_v2.{field} must be at offset', p.stderr)


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

    def test_idle_export_prints_its_last_frame(self):
        ex = self.export()
        ex.write_frame()
        ex.idle()
        p = self.dump('cam1', 2, 300)
        self.assertEqual(p.returncode, 1)
        self.assertEqual([f['frame_id'] for f in parse(p.stdout)], [1])
        self.assertIn('status=idle', p.stderr)

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


class Probe:
    """One C vas_frames_reader in c_reader_probe, driven command by command."""

    def __init__(self, test: unittest.TestCase, directory: str, camera: str = 'cam1', asan: bool = False,
                 as_nobody: bool = False, exe: str | None = None):
        drop = None
        if as_nobody:
            def drop():
                os.setgid(65534)
                os.setuid(65534)
        self.proc = subprocess.Popen([exe or (PROBE_ASAN if asan else PROBE), directory, camera], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, preexec_fn=drop)
        test.addCleanup(self.close)

    def cmd(self, line: str) -> dict:
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def status(self) -> str:
        return self.cmd('status')['status']

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)
        self.proc.stdout.close()


class ProbeTestCase(DumpTestCase):
    ASAN = False

    def probe(self, camera: str = 'cam1', **kw) -> Probe:
        return Probe(self, self.dir, camera, **{'asan': self.ASAN, **kw})


class StatusOrderTest(ProbeTestCase):
    """Spec 6.1 and 6.3, step by step, as test_python_reader.py does for Python (under ASan and
    UBSan: attach, detach and re-attach run many times here)."""
    ASAN = True

    def test_idle(self):
        ex = self.export()
        ex.write_frame()
        ex.write_frame()
        p = self.probe()
        self.assertEqual(p.status(), 'live')
        ex.idle()
        self.assertEqual(p.cmd('status'), {'status': 'idle', 'error': ''})
        self.assertEqual(p.cmd('latest')['frame_id'], 2)
        self.assertEqual(p.cmd('wait 50')['rc'], 4)  # VAS_FRAMES_READ_TIMEOUT: nothing newer
        ex.set_state(1)
        ex.write_frame()
        self.assertEqual(p.status(), 'live')
        self.assertEqual(p.cmd('wait 1000')['frame_id'], 3)

    def test_idle_does_not_exist_in_version_1(self):
        ex = self.export(version=1)
        ex.write_frame()
        ex.set_field('state', 3)
        self.assertEqual(self.probe().cmd('status'), {'status': 'invalid', 'error': 'unknown state 3'})

    def test_zombie_writer_is_dead(self):
        pid = zombie_pid()
        self.addCleanup(os.waitpid, pid, 0)
        self.export(pid=pid).write_frame()
        p = self.probe()
        self.assertEqual(p.status(), 'writer-dead')
        self.assertEqual(p.cmd('latest')['rc'], 3)  # VAS_FRAMES_READ_NOT_READABLE

    def test_pid_in_another_namespace_is_never_checked(self):
        pid = zombie_pid()
        self.addCleanup(os.waitpid, pid, 0)
        ex = self.export(pid=pid, pidns=OTHER_PIDNS)
        ex.write_frame()
        p = self.probe()
        self.assertEqual(p.status(), 'live')
        ex.heartbeat(mono_ns() - 2_100_000_000)
        self.assertEqual(p.status(), 'writer-dead')

    def test_single_busy_keeps_the_previous_verdict(self):
        ex = self.export(pidns=0)
        ex.write_frame()
        p = self.probe()
        ex.heartbeat(mono_ns() - 2_500_000_000)
        self.assertEqual(p.status(), 'writer-dead')
        ex.leave_status_odd()
        self.assertEqual(p.status(), 'writer-dead')

    def test_busy_at_first_sight_is_alive_until_it_lasts(self):
        ex = self.export(pidns=0)
        ex.write_frame()
        ex.leave_status_odd()
        p = self.probe()
        self.assertEqual(p.status(), 'live')
        self.assertEqual(p.cmd('latest'), {'rc': 2, 'skipped': 4})  # SKIPPED: each BUSY attempt counted
        p.cmd('age-busy 2100')
        self.assertEqual(p.status(), 'writer-dead')

    def test_path_is_checked_before_the_old_mapping(self):
        a = self.export(pid=dead_pid())
        a.write_frame()
        p = self.probe()
        self.assertEqual(p.status(), 'writer-dead')
        b = self.export(replace=True)
        b.write_frame()
        self.assertEqual(p.status(), 'restarted')
        self.assertEqual(p.status(), 'live')
        self.assertEqual(p.cmd('latest')['generation'], str(b.generation))

    def test_restarted_is_reported_instead_of_idle(self):
        a = self.export()
        a.write_frame()
        p = self.probe()
        self.assertEqual(p.status(), 'live')
        a.stop(remove=True)
        self.assertEqual(p.status(), 'not-present')
        b = self.export()
        b.write_frame()
        b.idle()
        self.assertEqual(p.status(), 'restarted')
        self.assertEqual(p.status(), 'idle')

    def test_wrong_data_size_is_discarded(self):
        ex = self.export()
        ex.write_frame()
        struct.pack_into('<I', ex.meta, ex.record(0) + 40, ex.frame_size - 1)
        p = self.probe()
        self.assertEqual(p.cmd('latest'), {'rc': 2, 'skipped': 4})
        self.assertEqual(p.status(), 'live')

    def test_data_offset_is_the_one_checked_at_attach(self):
        ex = self.export(slots=2)
        ex.write_frame()
        ex.write_frame()
        p = self.probe()
        self.assertEqual(p.status(), 'live')
        ex.write_frame()
        struct.pack_into('<Q', ex.meta, ex.record(0) + 32, ex.slot_stride)
        f = p.cmd('latest')
        self.assertEqual((f['frame_id'], f['checksum']), (3, expected_checksum(ex.generation, 3, ex.frame_size)))

    def test_v2_fields(self):
        ex = self.export(color_matrix=6, color_range=2)
        ex.write_frame()
        p = self.probe()
        f = p.cmd('latest')
        self.assertEqual((f['color_matrix'], f['color_range'], f['source_width'], f['source_height']), (6, 2, 0, 0))
        ex.set_source(1920, 1080)
        f = p.cmd('latest')
        self.assertEqual((f['source_width'], f['source_height']), (1920, 1080))

    def test_permission_denied(self):
        """As nobody (when root): the export dir, the camera dir and frame.meta each unreadable."""
        if os.geteuid() != 0:
            self.skipTest('needs root to run the probe as another user')
        ex = self.export()
        ex.write_frame()
        meta = os.path.join(ex.path, 'frame.meta')
        for path, mode in ((self.dir, 0o755), (ex.path, 0o755), (meta, 0o644), (os.path.join(ex.path, 'frame.data'), 0o644)):
            os.chmod(path, mode)
        attached = self.probe(as_nobody=True)
        self.assertEqual(attached.status(), 'live')
        for path, mode in ((self.dir, 0o755), (ex.path, 0o755), (meta, 0o644)):
            with self.subTest(path=path):
                os.chmod(path, 0)
                # A reader attaching now; and one attached before, which keeps its mapping
                # unless the path itself (step 1) cannot be looked at any more.
                p = self.probe(as_nobody=True)
                self.assertEqual(p.cmd('status'), {'status': 'invalid', 'error': 'permission denied'})
                self.assertEqual(p.cmd('latest')['rc'], 3)
                self.assertEqual(attached.status(), 'invalid' if path == self.dir else 'live')
                os.chmod(path, mode)
                self.assertEqual(p.status(), 'live')
                self.assertEqual(attached.status(), 'live')  # same generation again: not 'restarted'


class WaitTest(ProbeTestCase):
    def test_about_one_wakeup_per_frame(self):
        """vas_frames_wait_next sleeps in FUTEX_WAIT: per delivered frame about one voluntary
        context switch (getrusage), where sleeping 1 ms in a polling loop costs 10 per 10 ms."""
        ex = self.export()
        p = self.probe()
        self.assertEqual(p.cmd('wait 0')['rc'], 4)
        writer = threading.Thread(target=lambda: [(threading.Event().wait(0.02), ex.write_frame()) for _ in range(20)])
        writer.start()
        got, wakeups = [], 0
        try:
            while not got or got[-1] < 20:
                r = p.cmd('wait 5000')
                self.assertEqual(r['rc'], 0, r)
                got.append(r['frame_id'])
                wakeups += r['wakeups']
        finally:
            writer.join()
        self.assertEqual(got, sorted(set(got)))
        self.assertLessEqual(wakeups, 2 * len(got) + 2, f'{wakeups} wake-ups for {len(got)} frames')

    def test_version_1_export_is_polled(self):
        ex = self.export(version=1)
        p = self.probe()
        threading.Timer(0.1, ex.write_frame).start()
        r = p.cmd('wait 3000')
        self.assertEqual(r['frame_id'], 1)
        self.assertGreater(r['wakeups'], 5)  # 5 ms polls for 100 ms

    def test_no_lost_wakeup(self):
        """Ping-pong with a writer process, as in the Python reader's test. The probe is built with
        re-checks every 60 s, so a lost wake-up stalls until the 20 s timeout of the wait."""
        writer = subprocess.Popen([PY, FAKE, 'pingpong', '--dir', self.dir, '--camera', 'cam1'], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (writer.stdin.close(), writer.wait(), writer.stdout.close()))
        self.assertEqual(writer.stdout.readline(), 'ready\n')
        exe = os.path.join(_build_dir, 'c_reader_probe_recheck_60s')
        subprocess.run(['gcc', *REQUIRED_FLAGS, '-DVAS_FRAMES_WAIT_RECHECK_MS=60000u', '-I', C_DIR, '-o', exe,
                        PROBE_SRC], check=True)
        p = self.probe(exe=exe)
        self.assertEqual(p.status(), 'live')
        for expected in range(1, 301):
            writer.stdin.write('next\n')
            writer.stdin.flush()
            r = p.cmd('wait 20000')
            self.assertEqual((r['rc'], r.get('frame_id')), (0, expected), f'frame {expected}: wake-up lost')


if __name__ == '__main__':
    unittest.main()
