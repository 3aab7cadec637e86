"""Standalone tests of the Python reader (src/reader/python/vas_frames.py) against exports made
by test/readers/make_fake_export.py. No VAS, no TypeScript writer.

Run: /usr/bin/python3 -m unittest discover -s test/readers -p 'test_*.py' -v
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import struct
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
from make_fake_export import FakeExport, dead_pid, fnv1a64, mono_ns, pattern, zombie_pid  # noqa: E402

PY = sys.executable
FAKE = os.path.join(HERE, 'make_fake_export.py')
CLI = os.path.join(READER_DIR, 'vas_frames.py')
OTHER_PIDNS = 4026531999 if vf._own_pidns() != 4026531999 else 4026532000


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

    def test_wrong_data_size_is_discarded(self):
        ex = self.export()
        ex.write_frame()
        struct.pack_into('<I', ex.meta, ex.record(0) + 40, ex.frame_size - 1)  # corrupt record
        r = self.reader()
        self.assertIsNone(r.latest())
        self.assertEqual(r.skipped, vf.FrameReader.READ_TRIES)
        self.assertEqual(r.status(), vf.LIVE)

    def test_data_offset_is_the_one_checked_at_attach(self):
        """A record whose data_offset changes after attach (a writer bug, or a lie) cannot send
        the reader elsewhere: spec 5.2 copies from the offset validated at attach."""
        ex = self.export(slots=2)
        ex.write_frame()
        ex.write_frame()
        r = self.reader()
        ex.write_frame()  # frame 3, slot 0
        struct.pack_into('<Q', ex.meta, ex.record(0) + 32, ex.slot_stride)  # now names slot 1's bytes
        f = r.latest()
        self.assertEqual(f.frame_id, 3)
        self.assertEqual(f.data, pattern(ex.generation, 3, ex.frame_size))

    def test_status_seq_stuck_odd(self):
        ex = self.export()
        ex.write_frame()
        r = self.reader()
        ex.leave_status_odd()  # writer died inside publish()
        self.assertIsNone(r.latest())
        self.assertEqual(r.status(), vf.LIVE)  # not for long
        r._busy_since -= 3_000_000_000  # pretend 3 s passed
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
        ex = self.export(pid=dead_pid(), pidns=OTHER_PIDNS)
        ex.write_frame()
        self.assertEqual(self.reader().status(), vf.LIVE)

    def test_zombie_writer_is_dead(self):
        """Killed but not reaped: kill(pid, 0) succeeds, /proc/<pid>/stat says Z (spec 6.3 rule 2)."""
        pid = zombie_pid()
        self.addCleanup(os.waitpid, pid, 0)
        ex = self.export(pid=pid)
        ex.write_frame()
        r = self.reader()
        self.assertEqual(r.status(), vf.WRITER_DEAD)
        self.assertIsNone(r.latest())

    def test_pid_in_another_namespace_is_never_checked(self):
        """Another pid namespace: heartbeat only; the pid (a zombie here) is not even looked at."""
        pid = zombie_pid()
        self.addCleanup(os.waitpid, pid, 0)
        ex = self.export(pid=pid, pidns=OTHER_PIDNS)
        ex.write_frame()
        with mock.patch.object(vf.os, 'kill', side_effect=AssertionError('kill called')), \
                mock.patch.object(vf, '_process_gone', side_effect=AssertionError('pid checked')):
            r = self.reader()
            self.assertEqual(r.status(), vf.LIVE)
            ex.heartbeat(mono_ns() - 2_100_000_000)
            self.assertEqual(r.status(), vf.WRITER_DEAD)

    def test_single_busy_keeps_the_previous_verdict(self):
        """Spec 6.3 rule 4: a BUSY status block keeps the previous verdict, dead or alive."""
        ex = self.export(pidns=0)
        ex.write_frame()
        r = self.reader()
        ex.heartbeat(mono_ns() - 2_500_000_000)
        self.assertEqual(r.status(), vf.WRITER_DEAD)
        ex.leave_status_odd()
        self.assertEqual(r.status(), vf.WRITER_DEAD)  # not 'live' because the block is unreadable

    def test_busy_at_first_sight_is_alive_until_it_lasts(self):
        ex = self.export(pidns=0)
        ex.write_frame()
        ex.leave_status_odd()
        r = self.reader()
        self.assertEqual(r.status(), vf.LIVE)
        self.assertIsNone(r.latest())
        self.assertEqual(r.skipped, vf.FrameReader.READ_TRIES)  # each BUSY attempt counted
        r._busy_since -= 2_100_000_000
        self.assertEqual(r.status(), vf.WRITER_DEAD)

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

    def test_idle(self):
        """FFmpeg ended: 'idle', the last frames stay readable, no frame is waited for."""
        ex = self.export()
        ex.write_frame()
        ex.write_frame()
        r = self.reader()
        self.assertEqual(r.status(), vf.LIVE)
        ex.idle()
        self.assertEqual(r.status(), vf.IDLE)
        self.assertIsNone(r.error)
        self.assertEqual(r.latest().frame_id, 2)
        self.assertIsNone(r.wait_next(0.05))
        ex.set_state(1)  # VAS restarted the stream
        ex.write_frame()
        self.assertEqual(r.status(), vf.LIVE)
        self.assertEqual(r.wait_next(1.0).frame_id, 3)

    def test_idle_writer_can_still_die(self):
        ex = self.export(pid=dead_pid())
        ex.write_frame()
        ex.idle()
        self.assertEqual(self.reader().status(), vf.WRITER_DEAD)

    def test_idle_does_not_exist_in_version_1(self):
        ex = self.export(version=1)
        ex.write_frame()
        ex.set_field('state', 3)
        r = self.reader()
        self.assertEqual(r.status(), vf.INVALID)
        self.assertEqual(r.error, 'unknown state 3')

    def test_unknown_state_is_invalid(self):
        ex = self.export()
        r = self.reader()
        ex.set_field('state', 7)
        self.assertEqual(r.status(), vf.INVALID)
        self.assertEqual(r.error, 'unknown state 7')
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

    def test_path_is_checked_before_the_old_mapping(self):
        """After a crash the old mapping says writer-dead forever: the path check (spec 6.1
        steps 1-2) finds the new generation."""
        a = self.export(pid=dead_pid())
        a.write_frame()
        r = self.reader()
        self.assertEqual(r.status(), vf.WRITER_DEAD)
        b = self.export(replace=True)
        b.write_frame()
        self.assertEqual(r.status(), vf.RESTARTED)
        self.assertEqual(r.latest().generation, b.generation)

    def test_restarted_is_reported_instead_of_idle(self):
        a = self.export()
        a.write_frame()
        r = self.reader()
        a.stop(remove=True)
        self.assertEqual(r.status(), vf.NOT_PRESENT)  # the window between two generations
        b = self.export()
        b.write_frame()
        b.idle()
        self.assertEqual(r.status(), vf.RESTARTED)
        self.assertEqual(r.status(), vf.IDLE)

    def test_restart_seen_only_through_latest_is_still_reported(self):
        a = self.export()
        a.write_frame()
        r = self.reader()
        b = self.export(replace=True)
        b.write_frame()
        self.assertEqual(r.latest().generation, b.generation)
        self.assertEqual(r.status(), vf.RESTARTED)


class ValidationTest(ReaderTestCase):
    # (FakeExport keyword arguments, expected error message): spec section 7, in its order. The
    # C reader must print the same messages (test_c_reader.py). Defaults: version 2, 64x48,
    # 4 slots, frame_size 4608, slot_stride 8192, frame.meta 160 + 4 * 64 bytes.
    CASES = [
        (dict(meta_size=100), 'frame.meta is 100 bytes, smaller than the 128-byte v1 header'),
        (dict(overrides={'version': 0}), 'version 0 is older than 1'),
        (dict(generation=0), 'generation 0: must be non-zero'),
        (dict(overrides={'header_size': 64}), 'header_size 64 < 160 (version 2)'),
        (dict(overrides={'header_size': 128}), 'header_size 128 < 160 (version 2)'),
        (dict(version=1, overrides={'header_size': 120}), 'header_size 120 < 128 (version 1)'),
        (dict(overrides={'slot_meta_size': 32}), 'slot_meta_size 32 < 64'),
        (dict(overrides={'header_size': 164}), 'header_size 164 is not a multiple of 8'),
        (dict(overrides={'slot_meta_size': 68}), 'slot_meta_size 68 is not a multiple of 8'),
        (dict(overrides={'pixel_format': 0x30323449}), 'pixel_format 0x30323449 is not NV12 (0x3231564e)'),
        (dict(overrides={'width': 63}), 'geometry 63x48 is not even and non-zero'),
        (dict(overrides={'height': 0}), 'geometry 64x0 is not even and non-zero'),
        (dict(overrides={'y_stride': 32}), 'y_stride 32 < width 64'),
        (dict(overrides={'uv_stride': 32}), 'uv_stride 32 < width 64'),
        (dict(overrides={'uv_offset': 0}), 'uv_offset 0 != y_stride*height (3072)'),
        (dict(overrides={'frame_size': 4000}), 'frame_size 4000 != y_stride*height + uv_stride*height/2 (4608)'),
        (dict(overrides={'slot_count': 0}), 'slot_count 0 < 1'),
        (dict(overrides={'slot_stride': 4096}), 'slot_stride 4096 < frame_size 4608'),
        (dict(overrides={'slot_stride': 4608}), 'slot_stride 4608 is not a multiple of 4096'),
        (dict(meta_size=200), 'frame.meta is 200 bytes, needs 416'),
        (dict(data_size=4096), 'frame.data is 4096 bytes, needs 32768'),
        (dict(data_size=0), 'frame.data is 0 bytes, needs 32768'),
        (dict(slot_overrides={2: {'slot_index': 7}}), 'slot 2: slot_index 7 != 2'),
        (dict(slot_overrides={1: {'data_offset': 8292}}), 'slot 1: data_offset 8292 is not a multiple of 4096'),
        (dict(slot_overrides={3: {'data_offset': 32768}}),
         'slot 3: data_offset 32768 + frame_size 4608 > frame.data size 32768'),
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
    def counted(self):
        """(futex_wait mock, sleep mock): both still do their job, and count. The writer side of
        these tests sleeps with threading.Event.wait, never time.sleep."""
        futex = mock.patch.object(vf, '_futex_wait', wraps=vf._futex_wait).start()
        sleep = mock.patch.object(vf.time, 'sleep', wraps=time.sleep).start()
        self.addCleanup(mock.patch.stopall)
        return futex, sleep

    def test_timeout_without_frames_waits_in_futex(self):
        self.export().write_frame()
        r = self.reader()
        self.assertEqual(r.latest().frame_id, 1)
        futex, sleep = self.counted()
        self.assertIsNone(r.wait_next(0.5))
        self.assertEqual(sleep.call_count, 0)
        self.assertEqual(futex.call_count, 1)  # one wait for the whole timeout (< WAIT_RECHECK_MS)

    def test_timeout_while_absent_polls_slowly(self):
        r = self.reader()
        futex, sleep = self.counted()
        self.assertIsNone(r.wait_next(0.3))
        self.assertEqual(futex.call_count, 0)
        self.assertLessEqual(sleep.call_count, 4)
        self.assertTrue(all(c.args[0] <= vf.POLL_MS / 1000 for c in sleep.call_args_list))
        self.assertIsNone(r.wait_next(0))

    def test_about_one_wakeup_per_frame(self):
        ex = self.export(slots=4)
        r = self.reader()
        futex, sleep = self.counted()
        pause = threading.Event()

        def writer():
            for _ in range(20):
                pause.wait(0.02)
                ex.write_frame()
        t = threading.Thread(target=writer)
        t.start()
        got = []
        try:
            while not got or got[-1] < 20:
                f = r.wait_next(5.0)
                self.assertIsNotNone(f)
                got.append(f.frame_id)
        finally:
            t.join()
        self.assertEqual(got, sorted(set(got)))
        self.assertEqual(sleep.call_count, 0)
        # One FUTEX_WAIT per frame; a commit between the notify_seq load and the syscall makes
        # it return at once, which costs one more. The 1-5 ms polling reader did 4-20 per frame.
        self.assertLessEqual(futex.call_count, 2 * len(got) + 1)

    def test_version_1_export_is_polled_every_frame_poll_ms(self):
        ex = self.export(version=1)
        r = self.reader()
        futex, sleep = self.counted()
        t = threading.Timer(0.05, ex.write_frame)
        t.start()
        f = r.wait_next(2.0)
        t.join()
        self.assertEqual(f.frame_id, 1)
        self.assertEqual(futex.call_count, 0)
        self.assertGreater(sleep.call_count, 0)
        self.assertTrue(all(c.args[0] <= vf.FRAME_POLL_MS / 1000 for c in sleep.call_args_list))

    def test_falls_back_to_polling_when_futex_is_refused(self):
        ex = self.export()
        r = self.reader()
        futex = mock.patch.object(vf, '_futex_wait', return_value=False).start()
        sleep = mock.patch.object(vf.time, 'sleep', wraps=time.sleep).start()
        self.addCleanup(mock.patch.stopall)
        self.assertIsNone(r.wait_next(0.05))
        self.assertEqual(futex.call_count, 1)  # refused once, never asked again
        ex.write_frame()
        self.assertEqual(r.wait_next(1.0).frame_id, 1)
        self.assertEqual(futex.call_count, 1)
        self.assertGreater(sleep.call_count, 0)

    def test_no_lost_wakeup(self):
        """Ping-pong with a writer process: each commit must wake the waiting reader. Re-checks
        are pushed out to 60 s, so a lost wake-up stalls until wait_next's 20 s timeout."""
        writer = subprocess.Popen([PY, FAKE, 'pingpong', '--dir', self.dir, '--camera', 'cam1'], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (writer.stdin.close(), writer.wait(), writer.stdout.close()))
        self.assertEqual(writer.stdout.readline(), 'ready\n')
        r = self.reader()
        with mock.patch.object(vf, 'WAIT_RECHECK_MS', 60_000):
            for expected in range(1, 301):
                writer.stdin.write('next\n')
                writer.stdin.flush()
                f = r.wait_next(20.0)
                self.assertIsNotNone(f, f'frame {expected}: wake-up lost')
                self.assertEqual(f.frame_id, expected)

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
        self.assertGreaterEqual(len(ids), 25)  # 10 ms frames: a frame is missed only under load

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


class PlatformTest(ReaderTestCase):
    """Spec 5.3: the Python reader relies on x86-64 load ordering and refuses elsewhere."""

    def test_refuses_other_machines(self):
        self.export().write_frame()
        for machine in ('aarch64', 'arm64', 'armv7l', 'riscv64', 'ppc64le', ''):
            with self.subTest(machine=machine), mock.patch.object(vf.platform, 'machine', return_value=machine):
                with self.assertRaisesRegex(vf.UnsupportedPlatform, r'x86-64 only.*C reader'):
                    vf.FrameReader('cam1', dir=self.dir)

    def test_accepts_x86_64(self):
        self.export().write_frame()
        for machine in ('x86_64', 'AMD64'):
            with mock.patch.object(vf.platform, 'machine', return_value=machine):
                r = vf.FrameReader('cam1', dir=self.dir)
                self.assertEqual(r.status(), vf.LIVE)
                r.close()

    def test_cli_says_why_in_one_line(self):
        self.export().write_frame()
        code = ('import platform, sys\n'
                'platform.machine = lambda: "aarch64"\n'
                f'sys.path.insert(0, {READER_DIR!r})\n'
                'import vas_frames\n'
                f'sys.exit(vas_frames.main(["cam1", "--dir", {self.dir!r}, "--status"]))\n')
        p = subprocess.run([PY, '-c', code], capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, '')
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn('aarch64', p.stderr)


class PermissionTest(ReaderTestCase):
    """Spec 6.1: EACCES / EPERM anywhere on the way is 'invalid', reason 'permission denied';
    the reader never raises for it."""

    def check_denied(self, r):
        self.assertEqual(r.status(), vf.INVALID)
        self.assertEqual(r.error, 'permission denied')
        self.assertIsNone(r.latest())
        self.assertIsNone(r.wait_next(0))

    def test_each_step_mocked(self):
        self.export().write_frame()
        denied = PermissionError(errno.EACCES, 'Permission denied')
        real_open = os.open
        for target in ('lstat', 'dir', vf.META_FILE_NAME, vf.DATA_FILE_NAME):
            with self.subTest(target=target):
                def fake_open(path, flags, mode=0o777, *, dir_fd=None, target=target):
                    if path == target or (target == 'dir' and dir_fd is None):
                        raise denied
                    return real_open(path, flags, mode, dir_fd=dir_fd)
                with mock.patch.object(vf.os, 'open', fake_open), \
                        mock.patch.object(vf.os, 'lstat', side_effect=denied if target == 'lstat' else os.lstat):
                    r = vf.FrameReader('cam1', dir=self.dir)
                    self.check_denied(r)
                self.assertEqual(r.status(), vf.LIVE)  # access granted again
                r.close()

    def test_real_permissions(self):
        """As an unprivileged user (nobody when we are root): the export dir, the camera dir
        and frame.meta are each unreadable in turn."""
        ex = self.export()
        ex.write_frame()
        os.chmod(self.dir, 0o755)
        os.chmod(ex.path, 0o755)
        os.chmod(os.path.join(ex.path, 'frame.data'), 0o644)
        meta = os.path.join(ex.path, 'frame.meta')
        os.chmod(meta, 0o644)
        code_dir = tempfile.mkdtemp(prefix='vas-py-reader-code-')
        self.addCleanup(shutil.rmtree, code_dir, True)
        os.chmod(code_dir, 0o755)
        shutil.copy(CLI, code_dir)
        os.chmod(os.path.join(code_dir, 'vas_frames.py'), 0o644)

        def run():
            drop = None
            if os.geteuid() == 0:
                def drop():
                    os.setgid(65534)
                    os.setuid(65534)
            return subprocess.run([PY, os.path.join(code_dir, 'vas_frames.py'), 'cam1', '--dir', self.dir, '--status'],
                                  capture_output=True, text=True, timeout=20, preexec_fn=drop)

        p = run()
        self.assertEqual(json.loads(p.stdout)['status'], 'live', p.stderr)
        for path in (self.dir, ex.path, meta):
            with self.subTest(path=path):
                os.chmod(path, 0)  # unreadable to anyone but root, who runs the reader as nobody
                p = run()
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertEqual(p.stderr, '')
                st = json.loads(p.stdout)
                self.assertEqual((st['status'], st['error']), ('invalid', 'permission denied'))
                os.chmod(path, 0o755 if path != meta else 0o644)


if __name__ == '__main__':
    unittest.main()
