"""Standalone tests of the Python reader (src/reader/python/vas_frames.py) against exports made
by test/readers/make_fake_export.py. No VAS, no TypeScript writer.

Run: /usr/bin/python3 -m unittest discover -s test/readers -p 'test_*.py' -v
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
READER_DIR = os.path.join(ROOT, 'src', 'reader', 'python')
sys.path.insert(0, READER_DIR)
sys.path.insert(0, HERE)

import vas_frames as vf  # noqa: E402
from make_fake_export import FakeExport, dead_pid, fnv1a64, mono_ns, pattern  # noqa: E402

PY = sys.executable
FAKE = os.path.join(HERE, 'make_fake_export.py')
CLI = os.path.join(READER_DIR, 'vas_frames.py')


class ReaderTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix='vas-py-reader-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self._exports = []

    def tearDown(self) -> None:
        for ex in self._exports:
            ex.close()

    def export(self, camera='cam1', **kw) -> FakeExport:
        ex = FakeExport(self.dir, camera, **kw)
        self._exports.append(ex)
        return ex

    def reader(self, camera='cam1') -> vf.FrameReader:
        r = vf.FrameReader(camera, dir=self.dir)
        self.addCleanup(r.close)
        return r


class CameraIdTest(unittest.TestCase):
    def test_valid_ids(self):
        for cid in ('a', 'cam-1', 'A.b_c-9', '0', 'x' * 64, 'a.b'):
            self.assertEqual(vf.validate_camera_id(cid), cid)

    def test_invalid_ids(self):
        for cid in ('', '.a', '-a', '_a', 'a/b', 'a..b', 'x' * 65, 'a b', 'caf\u00e9', '..', '../x', 'a\n', None, 3):
            with self.assertRaises(ValueError, msg=repr(cid)):
                vf.FrameReader(cid, dir='/nonexistent')

    def test_default_dir(self):
        with mock.patch.dict(os.environ, {'AI_FRAME_EXPORT_DIR': '/tmp/somewhere'}):
            r = vf.FrameReader('cam1')
            self.assertEqual(r.path, '/tmp/somewhere/cam1')
            r.close()
        env = {k: v for k, v in os.environ.items() if k != 'AI_FRAME_EXPORT_DIR'}
        with mock.patch.dict(os.environ, env, clear=True):
            r = vf.FrameReader('cam-does-not-exist-xyz')
            self.assertEqual(r.dir, '/dev/shm/vas')
            r.close()


class AttachTest(ReaderTestCase):
    def test_absent_then_appears(self):
        r = self.reader()
        self.assertEqual(r.status(), vf.NOT_PRESENT)
        self.assertIsNone(r.latest())
        self.assertIsNone(r.generation)
        ex = self.export()
        ex.write_frame()
        ex.write_frame()
        self.assertEqual(r.status(), vf.LIVE)  # a first attach is not a restart
        self.assertEqual(r.generation, ex.generation)
        self.assertEqual(r.latest().frame_id, 2)

    def test_absent_export_dir(self):
        r = vf.FrameReader('cam1', dir=os.path.join(self.dir, 'no', 'such'))
        self.assertEqual(r.status(), vf.NOT_PRESENT)
        r.close()

    def test_directory_without_files(self):
        os.mkdir(os.path.join(self.dir, 'cam1'))
        r = self.reader()
        self.assertEqual(r.status(), vf.NOT_PRESENT)
        with open(os.path.join(self.dir, 'cam1', 'frame.meta'), 'wb') as f:
            f.write(b'\0' * 384)
        self.assertEqual(r.status(), vf.NOT_PRESENT)  # frame.data still missing

    def test_no_frame_yet(self):
        self.export()
        r = self.reader()
        self.assertEqual(r.status(), vf.LIVE)
        self.assertIsNone(r.latest())
        self.assertEqual(r.skipped, 0)

    def test_both_files_from_the_same_directory_inode(self):
        """A restart between the two openat() calls must not pair generation A's meta with
        generation B's data: both come from the directory fd opened first."""
        a = self.export()
        a.write_frame()
        real_open = os.open
        swapped = {}

        def racing_open(path, flags, mode=0o777, *, dir_fd=None):
            if path == vf.META_FILE_NAME and dir_fd is not None and not swapped:
                fd = real_open(path, flags, mode, dir_fd=dir_fd)
                # Restart right here: A's directory moves away, B takes its place.
                swapped['old'] = os.path.join(self.dir, '.moved-away')
                os.rename(a.path, swapped['old'])
                b = self.export()
                b.write_frame()
                b.write_frame()
                swapped['b'] = b
                return fd
            return real_open(path, flags, mode, dir_fd=dir_fd)

        with mock.patch.object(vf.os, 'open', racing_open):
            r = vf.FrameReader('cam1', dir=self.dir)
        self.addCleanup(r.close)
        self.assertIn('b', swapped)
        self.assertEqual(r.generation, a.generation)
        # Read the mapped pair as it is (no directory follow-up, which latest() would do).
        f = r._read(copy=True)
        self.assertEqual((f.generation, f.frame_id), (a.generation, 1))
        self.assertEqual(f.data, pattern(a.generation, 1, a.frame_size))
        self.assertEqual(r.status(), vf.RESTARTED)  # the path now names B
        f = r.latest()
        self.assertEqual((f.generation, f.frame_id), (swapped['b'].generation, 2))


class FrameTest(ReaderTestCase):
    def test_latest_fields_and_bytes(self):
        ex = self.export(width=64, height=48, slots=4)
        before_mono, before_real = mono_ns(), time.clock_gettime_ns(time.CLOCK_REALTIME)
        for _ in range(6):
            ex.write_frame()
        r = self.reader()
        f = r.latest()
        self.assertIsInstance(f, vf.Frame)
        self.assertEqual(f.frame_id, 6)
        self.assertEqual(f.slot, 1)  # (6 - 1) mod 4
        self.assertEqual(f.generation, ex.generation)
        self.assertEqual((f.width, f.height, f.pixel_format), (64, 48, 'NV12'))
        self.assertEqual(f.strides, (64, 64))
        self.assertEqual(f.uv_offset, 64 * 48)
        self.assertEqual(f.data_size, 64 * 48 * 3 // 2)
        self.assertIsInstance(f.data, bytes)
        self.assertEqual(f.data, pattern(ex.generation, 6, ex.frame_size))
        self.assertTrue(before_mono <= f.timestamp_ns <= mono_ns())
        self.assertTrue(before_real <= f.wallclock_ns <= time.clock_gettime_ns(time.CLOCK_REALTIME))
        self.assertEqual(r.skipped, 0)
        self.assertEqual(r.counters()['frames_written'], 6)
        self.assertEqual(r.counters()['latest_frame_id'], 6)

    def test_array_and_planes(self):
        ex = self.export(width=64, height=48)
        ex.write_frame()
        f = self.reader().latest()
        a = f.array()
        self.assertEqual(a.shape, (72, 64))
        self.assertEqual(str(a.dtype), 'uint8')
        self.assertEqual(a.tobytes(), f.data)
        y, uv = f.planes()
        self.assertEqual(y.shape, (48, 64))
        self.assertEqual(uv.shape, (24, 32, 2))
        self.assertEqual(y.tobytes(), f.data[:64 * 48])
        self.assertEqual(int(uv[0, 0, 1]), f.data[64 * 48 + 1])  # V of the first chroma pair

    def test_array_without_numpy(self):
        ex = self.export()
        ex.write_frame()
        f = self.reader().latest()
        with mock.patch.dict(sys.modules, {'numpy': None}):
            with self.assertRaisesRegex(RuntimeError, 'numpy is not importable'):
                f.array()

    def test_latest_view(self):
        ex = self.export(slots=1)
        ex.write_frame()
        r = self.reader()
        v = r.latest_view()
        self.assertIsInstance(v, vf.FrameView)
        self.assertIsInstance(v.data, memoryview)
        self.assertTrue(v.data.readonly)
        self.assertEqual(bytes(v.data), pattern(ex.generation, 1, ex.frame_size))
        self.assertEqual(v.array().shape, (72, 64))
        self.assertTrue(v.still_valid())
        ex.write_frame()  # overwrites the only slot
        self.assertFalse(v.still_valid())
        v2 = r.latest_view()
        self.assertEqual(v2.frame_id, 2)
        ex.begin_frame()  # the writer is inside the slot now
        self.assertFalse(v2.still_valid())
        # Closing the reader while views exist is safe; the view can no longer be vouched for.
        r.close()
        self.assertFalse(v2.still_valid())
        self.assertEqual(len(bytes(v2.data)), ex.frame_size)


class TornReadTest(ReaderTestCase):
    def test_latest_slot_odd_is_skipped(self):
        ex = self.export(slots=1)
        for _ in range(3):
            ex.write_frame()
        r = self.reader()
        ex.begin_frame()  # frame 4 half written into the only slot; latest_frame_id still 3
        self.assertIsNone(r.latest())
        self.assertEqual(r.skipped, vf.FrameReader.READ_TRIES)
        self.assertEqual(r.status(), vf.LIVE)
        ex.end_frame()
        f = r.latest()
        self.assertEqual(f.frame_id, 4)
        self.assertEqual(f.data, pattern(ex.generation, 4, ex.frame_size))

    def test_lapped_slot_is_skipped(self):
        ex = self.export(slots=4)
        for _ in range(5):
            ex.write_frame()
        ex.publish(1, count=False)  # status names frame 1, its slot holds frame 5
        r = self.reader()
        self.assertIsNone(r.latest())
        self.assertEqual(r.skipped, vf.FrameReader.READ_TRIES)

    def _hooked_data(self, r, on_copy):
        """Wraps the reader's data mapping so that `on_copy` runs in the middle of the copy."""
        real = r._data

        class Hooked:
            def __len__(self):
                return len(real)

            def __getitem__(self, key):
                out = real[key]
                on_copy()
                return out

            def close(self):
                real.close()
        r._data = Hooked()
        return real

    def test_overwritten_during_copy_is_discarded(self):
        ex = self.export(slots=1)
        ex.write_frame()
        r = self.reader()
        calls = []

        def writer_starts_next_frame():
            if not calls:
                ex.begin_frame()  # seq becomes odd after our q1 load: q2 != q1
            calls.append(1)
        self._hooked_data(r, writer_starts_next_frame)
        self.assertIsNone(r.latest())  # first try overwritten, then the slot stays odd
        self.assertEqual(r.skipped, vf.FrameReader.READ_TRIES)
        self.assertEqual(len(calls), 1)

    def test_overwrite_then_retry_returns_the_new_frame(self):
        ex = self.export(slots=1)
        ex.write_frame()
        r = self.reader()
        calls = []

        def writer_commits_next_frame():
            if not calls:
                ex.write_frame()
            calls.append(1)
        self._hooked_data(r, writer_commits_next_frame)
        f = r.latest()
        self.assertEqual(f.frame_id, 2)
        self.assertEqual(f.data, pattern(ex.generation, 2, ex.frame_size))
        self.assertEqual(r.skipped, 1)

    def test_lapped_during_copy_without_seq_change_is_caught_by_frame_id(self):
        ex = self.export(slots=2)
        ex.write_frame()
        ex.write_frame()
        r = self.reader()
        # The slot of frame 2 holds frame 2; make status claim frame 4 (same slot), as if the
        # writer had lapped: frame_id check must reject the copy.
        ex.publish(4, count=False)
        self.assertIsNone(r.latest())
        self.assertEqual(r.skipped, vf.FrameReader.READ_TRIES)

    def test_status_seq_stuck_odd(self):
        ex = self.export()
        ex.write_frame()
        r = self.reader()
        ex.leave_status_odd()  # writer died inside publish()
        self.assertIsNone(r.latest())
        self.assertEqual(r.status(), vf.LIVE)  # not for long
        r._status_unreadable_since -= 3_000_000_000  # pretend 3 s passed
        self.assertEqual(r.status(), vf.WRITER_DEAD)

    def test_concurrent_writer_never_yields_a_torn_frame(self):
        """A separate writer process rewrites the only slot as fast as it can; every frame the
        reader returns must be exactly the pattern of its (generation, frame_id)."""
        for slots, (w, h) in ((1, (320, 240)), (2, (64, 48))):
            with self.subTest(slots=slots):
                cam = f'stress{slots}'
                proc = subprocess.Popen([PY, FAKE, 'serve', '--dir', self.dir, '--camera', cam, '--fps', '0',
                                         '--seconds', '3', '--slots', str(slots), '--width', str(w),
                                         '--height', str(h)], stdout=subprocess.PIPE, text=True)
                try:
                    gen = int(json.loads(proc.stdout.readline())['generation'])
                    r = vf.FrameReader(cam, dir=self.dir)
                    frames = bad = 0
                    last = 0
                    end = time.monotonic() + 1.5
                    while time.monotonic() < end:
                        f = r.latest()
                        if f is None:
                            continue
                        frames += 1
                        self.assertEqual(f.generation, gen)
                        self.assertGreaterEqual(f.frame_id, last)
                        last = f.frame_id
                        if f.data != pattern(gen, f.frame_id, f.data_size):
                            bad += 1
                    skipped = r.skipped
                    r.close()
                finally:
                    proc.kill()
                    proc.wait()
                    proc.stdout.close()
                sys.stderr.write(f'\n    stress slots={slots} {w}x{h}: frames={frames} skipped={skipped} torn={bad} ')
                self.assertEqual(bad, 0)
                self.assertGreater(frames, 50)
                if slots == 1:
                    self.assertGreater(skipped, 0, 'the race was never exercised')


class LivenessTest(ReaderTestCase):
    def test_stopped_with_files_present_is_not_present(self):
        ex = self.export()
        ex.write_frame()
        r = self.reader()
        self.assertEqual(r.status(), vf.LIVE)
        ex.stop(remove=False)
        self.assertEqual(r.status(), vf.NOT_PRESENT)
        self.assertIsNone(r.latest())

    def test_stopped_and_removed_is_not_present(self):
        ex = self.export()
        ex.write_frame()
        r = self.reader()
        ex.stop(remove=True)
        self.assertEqual(r.status(), vf.NOT_PRESENT)
        self.assertIsNone(r.generation)  # detached

    def test_dead_writer_pid(self):
        ex = self.export(pid=dead_pid())
        ex.write_frame()
        r = self.reader()
        self.assertEqual(r.status(), vf.WRITER_DEAD)
        self.assertIsNone(r.latest())

    def test_dead_pid_in_another_pid_namespace_is_not_checked(self):
        ex = self.export(pid=dead_pid(), pidns=4026531999 if vf._own_pidns() != 4026531999 else 4026532000)
        ex.write_frame()
        self.assertEqual(self.reader().status(), vf.LIVE)

    def test_pid_zero_is_never_signalled(self):
        ex = self.export(pid=0)
        ex.write_frame()
        with mock.patch.object(vf.os, 'kill', side_effect=AssertionError('kill called')):
            self.assertEqual(self.reader().status(), vf.LIVE)

    def test_permission_error_means_alive(self):
        ex = self.export(pid=1)
        ex.write_frame()
        with mock.patch.object(vf.os, 'kill', side_effect=PermissionError(1, 'EPERM')):
            self.assertEqual(self.reader().status(), vf.LIVE)

    def test_stale_heartbeat(self):
        ex = self.export(pidns=0)  # pid unknown to the reader: heartbeat only
        ex.write_frame()
        r = self.reader()
        ex.heartbeat(mono_ns() - 2_100_000_000)
        self.assertEqual(r.status(), vf.WRITER_DEAD)
        ex.heartbeat(mono_ns() - 1_900_000_000)
        self.assertEqual(r.status(), vf.LIVE)
        ex.heartbeat()
        self.assertEqual(r.status(), vf.LIVE)

    def test_unknown_state_is_invalid(self):
        ex = self.export()
        r = self.reader()
        ex.set_field('state', 7)
        self.assertEqual(r.status(), vf.INVALID)
        self.assertIn('state 7', r.error)
        ex.set_field('state', 1)
        self.assertEqual(r.status(), vf.LIVE)
        self.assertIsNone(r.error)


class RestartTest(ReaderTestCase):
    def _check_restart(self, crash: bool):
        a = self.export()
        for _ in range(5):
            a.write_frame()
        r = self.reader()
        self.assertEqual(r.wait_next(0.5).frame_id, 5)
        if crash:
            b = self.export(replace=True)  # A never stopped; B replaces its directory
        else:
            a.stop(remove=True)
            self.assertEqual(r.status(), vf.NOT_PRESENT)
            b = self.export()
        self.assertNotEqual(a.generation, b.generation)
        b.write_frame()
        self.assertEqual(r.status(), vf.RESTARTED)
        self.assertEqual(r.status(), vf.LIVE)  # reported once
        self.assertEqual(r.generation, b.generation)
        f = r.wait_next(0.5)  # id 1 < 5, but a new generation: newer
        self.assertEqual((f.generation, f.frame_id), (b.generation, 1))
        self.assertEqual(f.data, pattern(b.generation, 1, b.frame_size))

    def test_restart_after_clean_stop(self):
        self._check_restart(crash=False)

    def test_restart_replacing_a_crashed_writers_directory(self):
        self._check_restart(crash=True)

    def test_restart_seen_only_through_latest_is_still_reported(self):
        a = self.export()
        a.write_frame()
        r = self.reader()
        b = self.export(replace=True)
        b.write_frame()
        self.assertEqual(r.latest().generation, b.generation)
        self.assertEqual(r.status(), vf.RESTARTED)


class ValidationTest(ReaderTestCase):
    # (FakeExport keyword arguments, expected error message). The messages are the TypeScript
    # reader's (src/meta/meta-decoder.ts), plus the alignment check.
    CASES = [
        (dict(overrides={'version': 0}), 'version 0 is older than 1'),
        (dict(overrides={'header_size': 64}), 'header_size 64 < 128'),
        (dict(overrides={'slot_meta_size': 32}), 'slot_meta_size 32 < 64'),
        (dict(overrides={'header_size': 130}), 'header_size 130 / slot_meta_size 64 are not multiples of 4'),
        (dict(overrides={'pixel_format': 0x30323449}), 'pixel_format 0x30323449 is not NV12 (0x3231564e)'),
        (dict(overrides={'width': 63}), 'geometry 63x48 is not even and non-zero'),
        (dict(overrides={'height': 0}), 'geometry 64x0 is not even and non-zero'),
        (dict(overrides={'y_stride': 32}), 'strides 32/64 < width 64'),
        (dict(overrides={'frame_size': 4000}), 'frame_size 4000 != y_stride*height + uv_stride*height/2 (4608)'),
        (dict(overrides={'uv_offset': 0}), 'uv_offset 0 != y_stride*height (3072)'),
        (dict(overrides={'slot_count': 0}), 'slot_count 0 < 1'),
        (dict(overrides={'slot_stride': 4608}), 'slot_stride 4608 is below frame_size 4608 or not a multiple of 4096'),
        (dict(overrides={'slot_stride': 4096}), 'slot_stride 4096 is below frame_size 4608 or not a multiple of 4096'),
        (dict(meta_size=100), 'frame.meta is 100 bytes, smaller than the 128-byte v1 header'),
        (dict(meta_size=200), 'frame.meta is 200 bytes, needs 384'),
        (dict(data_size=4096), 'frame.data is 4096 bytes, needs 32768'),
        (dict(data_size=0), 'frame.data is 0 bytes, needs 32768'),
    ]

    def test_invalid_headers(self):
        for i, (kw, message) in enumerate(self.CASES):
            with self.subTest(message=message):
                cam = f'bad{i}'
                self.export(cam, **kw)
                r = self.reader(cam)
                self.assertEqual(r.status(), vf.INVALID)
                self.assertEqual(r.error, message)
                self.assertIsNone(r.latest())

    def test_invalid_then_replaced_by_a_valid_export(self):
        self.export(overrides={'version': 0})
        r = self.reader()
        self.assertEqual(r.status(), vf.INVALID)
        good = self.export(replace=True)
        good.write_frame()
        self.assertEqual(r.status(), vf.LIVE)  # not 'restarted': nothing valid was mapped before
        self.assertIsNone(r.error)
        self.assertEqual(r.latest().generation, good.generation)

    def test_forward_compatible_larger_header_and_slots(self):
        ex = self.export(version=2, header_size=192, slot_meta_size=96, slots=3)
        for _ in range(4):
            ex.write_frame()
        r = self.reader()
        self.assertEqual(r.status(), vf.LIVE)
        f = r.latest()
        self.assertEqual((f.frame_id, f.slot), (4, 0))
        self.assertEqual(f.data, pattern(ex.generation, 4, ex.frame_size))

    def test_symlinked_files_are_refused(self):
        ex = self.export()
        ex.write_frame()
        elsewhere = os.path.join(self.dir, 'elsewhere.meta')
        shutil.copy(os.path.join(ex.path, 'frame.meta'), elsewhere)
        os.unlink(os.path.join(ex.path, 'frame.meta'))
        os.symlink(elsewhere, os.path.join(ex.path, 'frame.meta'))
        r = self.reader()
        self.assertEqual(r.status(), vf.INVALID)
        self.assertIn('symbolic link', r.error)

    def test_symlinked_camera_directory_is_refused(self):
        ex = self.export('real')
        ex.write_frame()
        os.symlink(ex.path, os.path.join(self.dir, 'cam1'))
        r = self.reader('cam1')
        self.assertEqual(r.status(), vf.INVALID)
        self.assertIn('symbolic link', r.error)


class WaitNextTest(ReaderTestCase):
    def test_timeout_without_frames_does_not_spin(self):
        self.export()
        r = self.reader()
        cpu0, t0 = time.process_time(), time.monotonic()
        self.assertIsNone(r.wait_next(0.5))
        elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
        self.assertGreaterEqual(elapsed, 0.49)
        self.assertLess(elapsed, 0.8)
        self.assertLess(cpu, 0.15, f'wait_next used {cpu:.3f} s CPU in {elapsed:.3f} s')

    def test_timeout_while_absent(self):
        r = self.reader()
        t0 = time.monotonic()
        self.assertIsNone(r.wait_next(0.2))
        self.assertLess(time.monotonic() - t0, 0.5)
        self.assertIsNone(r.wait_next(0))

    def test_sequence_from_a_writer_thread(self):
        ex = self.export(slots=4)
        r = self.reader()
        stop = threading.Event()

        def writer():
            for _ in range(40):
                if stop.is_set():
                    return
                ex.write_frame()
                time.sleep(0.01)
        t = threading.Thread(target=writer)
        t.start()
        try:
            got = []
            while True:
                f = r.wait_next(1.0)
                if f is None:
                    break
                got.append(f)
                self.assertEqual(f.data, pattern(ex.generation, f.frame_id, ex.frame_size))
        finally:
            stop.set()
            t.join()
        ids = [f.frame_id for f in got]
        self.assertEqual(ids, sorted(set(ids)))  # strictly increasing
        self.assertEqual(ids[-1], 40)
        self.assertGreaterEqual(len(ids), 25)  # 10 ms frames, 1..5 ms polling: few are missed

    def test_waits_for_the_export_to_appear(self):
        r = self.reader()

        def later():
            time.sleep(0.15)
            ex = self.export()
            ex.write_frame()
        t = threading.Thread(target=later)
        t.start()
        f = r.wait_next(2.0)
        t.join()
        self.assertIsNotNone(f)
        self.assertEqual(f.frame_id, 1)

    def test_does_not_return_the_same_frame_twice(self):
        ex = self.export()
        ex.write_frame()
        r = self.reader()
        self.assertEqual(r.latest().frame_id, 1)
        self.assertIsNone(r.wait_next(0.1))
        ex.write_frame()
        self.assertEqual(r.wait_next(0.5).frame_id, 2)


class LifecycleTest(ReaderTestCase):
    def test_context_manager_and_close(self):
        ex = self.export()
        ex.write_frame()
        with vf.FrameReader('cam1', dir=self.dir) as r:
            self.assertEqual(r.status(), vf.LIVE)
        with self.assertRaises(ValueError):
            r.status()
        r.close()  # idempotent

    def test_mapping_is_read_only(self):
        ex = self.export()
        ex.write_frame()
        r = self.reader()
        r.status()
        with self.assertRaises(TypeError):
            r._meta[0] = 1
        with self.assertRaises(TypeError):
            r._data[0] = 1


class CliTest(ReaderTestCase):
    def run_cli(self, *args, timeout=20):
        return subprocess.run([PY, CLI, *args], capture_output=True, text=True, timeout=timeout)

    def test_status_and_latest(self):
        ex = self.export()
        for _ in range(3):
            ex.write_frame()
        p = self.run_cli('cam1', '--dir', self.dir, '--status')
        self.assertEqual(p.returncode, 0, p.stderr)
        st = json.loads(p.stdout)
        self.assertEqual(st['status'], 'live')
        self.assertEqual(st['generation'], str(ex.generation))
        self.assertEqual(st['counters']['latest_frame_id'], '3')
        p = self.run_cli('cam1', '--dir', self.dir, '--latest', '--checksum')
        self.assertEqual(p.returncode, 0, p.stderr)
        expected = f'{fnv1a64(pattern(ex.generation, 3, ex.frame_size)):016x}'
        self.assertRegex(p.stdout, rf'^frame_id=3 timestamp_ns=\d+ width=64 height=48 '
                                   rf'generation={ex.generation} data_size=4608 checksum={expected}\n$')

    def test_status_not_present_and_bad_id(self):
        p = self.run_cli('cam1', '--dir', self.dir, '--status')
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout)['status'], 'not-present')
        p = self.run_cli('../etc', '--dir', self.dir, '--status')
        self.assertEqual(p.returncode, 2)
        self.assertIn('invalid camera_id', p.stderr)

    def test_streaming_with_restart(self):
        serve = subprocess.Popen([sys.executable, FAKE, 'serve', '--dir', self.dir, '--camera', 'cam1',
                                  '--fps', '50', '--seconds', '2.5', '--restart-after', '1.0'],
                                 stdout=subprocess.PIPE, text=True)
        try:
            p = self.run_cli('cam1', '--dir', self.dir, '--seconds', '2.0', '--checksum')
        finally:
            out, _ = serve.communicate(timeout=10)
        events = [json.loads(line) for line in out.splitlines()]
        gens = [int(e['generation']) for e in events if e['event'] == 'generation']
        self.assertEqual(len(gens), 2)
        lines = [dict(kv.split('=') for kv in line.split()) for line in p.stdout.splitlines()]
        self.assertGreater(len(lines), 40)
        seen_gens = [int(line['generation']) for line in lines]
        self.assertEqual(set(seen_gens), set(gens))
        for line in lines:
            expected = fnv1a64(pattern(int(line['generation']), int(line['frame_id']), 4608))
            self.assertEqual(line['checksum'], f'{expected:016x}')
        self.assertIn('status=restarted', p.stderr)


if __name__ == '__main__':
    unittest.main()
