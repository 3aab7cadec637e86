"""A tiny frame-export writer for testing the Python and C readers without VAS.

Follows the writer protocol of docs/frame-export-format.md section 5.1 with its own copy of the
layout (deliberately not imported from the reader under test), and can also leave an export in
the states a reader must cope with: a slot left odd, a lapped slot, status_seq left odd,
STOPPED, IDLE, a dead writer pid, a stale heartbeat, a replaced directory (new generation) and
corrupted headers. Writes format version 2 by default (version=1 on request: the version 1
header, no futex word). Test-only: not a reference writer (the TypeScript writer is).

Stores are plain 4-byte memcpy stores into a MAP_SHARED mapping; on x86-64 (TSO) stores are
not reordered with other stores, which gives the release ordering the protocol needs there.
Version 2: every commit and every state change ends with notify() (spec 5.1): notify_seq + 1,
then FUTEX_WAKE on it.

Command line (used by test/readers/python-reader.test.ts and the C reader tests):

  make_fake_export.py create --dir D --camera C [options]   one export, JSON summary on stdout
  make_fake_export.py serve  --dir D --camera C [options]   a live writer; JSON events on stdout
  make_fake_export.py pingpong --dir D --camera C           "ready", then one frame per stdin line
  make_fake_export.py checksum --generation G --size N ID.. FNV-1a 64 of the pattern frames
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import mmap
import os
import shutil
import struct
import subprocess
import sys
import time

VERSION = 2
NV12 = 0x3231564E
HEADER_SIZES = {1: 128, 2: 160}
SLOT_META_SIZE = 64
STATE_LIVE = 1
STATE_STOPPED = 2
STATE_IDLE = 3
BT709, BT601 = 1, 6          # color_matrix (H.273 MatrixCoefficients)
RANGE_LIMITED, RANGE_FULL = 1, 2
PAGE = 4096
SYS_FUTEX, FUTEX_WAKE, INT_MAX = 202, 1, 0x7FFFFFFF  # x86-64 Linux

# Header offsets (spec 3.1).
H = dict(version=0, header_size=4, slot_meta_size=8, slot_count=12, slot_stride=16, pixel_format=20,
         width=24, height=28, y_stride=32, uv_stride=36, uv_offset=40, frame_size=44, writer_pid=48,
         state=52, generation=56, writer_pidns=64, created_realtime_ns=72, status_seq=80,
         heartbeat_interval_ms=84, latest_frame_id=88, heartbeat_ns=96, frames_written=104,
         dropped_size_mismatch=112, dropped_truncated=120,
         notify_seq=128, color_matrix=132, color_range=136, source_width=140, source_height=144)
U64_FIELDS = {'generation', 'writer_pidns', 'created_realtime_ns', 'latest_frame_id', 'heartbeat_ns',
              'frames_written', 'dropped_size_mismatch', 'dropped_truncated'}
# Slot record offsets (spec 3.2).
S_SEQ, S_INDEX, S_FRAME_ID, S_TIMESTAMP, S_WALLCLOCK, S_DATA_OFFSET, S_DATA_SIZE = 0, 4, 8, 16, 24, 32, 40


def mono_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def real_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def pattern(generation: int, frame_id: int, size: int) -> bytes:
    """Deterministic, pseudo-random frame bytes, unique per (generation, frame_id)."""
    return hashlib.shake_128(struct.pack('<QQ', generation, frame_id)).digest(size)


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def own_pidns() -> int:
    try:
        return os.stat('/proc/self/ns/pid').st_ino
    except OSError:
        return 0


def dead_pid() -> int:
    """A pid that just exited (and was reaped): kill(pid, 0) gives ESRCH."""
    proc = subprocess.Popen(['/bin/true'])
    proc.wait()
    return proc.pid


def zombie_pid() -> int:
    """A child that has exited but is not reaped: kill(pid, 0) still succeeds, /proc/<pid>/stat
    shows state Z. It stays a zombie until the caller reaps it (os.waitpid) or exits. Spawned
    without subprocess.Popen, whose bookkeeping would reap it behind the test's back."""
    pid = os.posix_spawn('/bin/true', ['/bin/true'], os.environ)
    for _ in range(2000):
        with open(f'/proc/{pid}/stat', 'rb') as f:
            if f.read().rsplit(b')', 1)[1].split()[0] == b'Z':
                return pid
        time.sleep(0.001)
    raise RuntimeError(f'pid {pid} did not become a zombie')


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def futex_wake(address: int) -> int:
    """FUTEX_WAKE (shared: no FUTEX_PRIVATE_FLAG) every waiter on the u32 at address."""
    return _libc.syscall(ctypes.c_long(SYS_FUTEX), ctypes.c_void_p(address), ctypes.c_int(FUTEX_WAKE),
                         ctypes.c_int(INT_MAX), None, None, ctypes.c_int(0))


def new_generation() -> int:
    while True:
        g = int.from_bytes(os.urandom(8), 'little')
        if g:
            return g


class FakeExport:
    def __init__(self, root: str, camera_id: str, width: int = 64, height: int = 48, slots: int = 4, *,
                 pid: int | None = None, pidns: int | None = None, generation: int | None = None,
                 version: int = VERSION, header_size: int | None = None, slot_meta_size: int = SLOT_META_SIZE,
                 color_matrix: int = BT709, color_range: int = RANGE_LIMITED,
                 overrides: dict | None = None, slot_overrides: dict | None = None,
                 meta_size: int | None = None, data_size: int | None = None,
                 publish: bool = True, replace: bool = False):
        if header_size is None:
            header_size = HEADER_SIZES[2 if version >= 2 else 1]
        self.root = root
        self.camera_id = camera_id
        self.path = os.path.join(root, camera_id)
        self.width, self.height, self.slots = width, height, slots
        self.frame_size = width * height + width * (height // 2)
        self.slot_stride = -(-self.frame_size // PAGE) * PAGE
        self.header_size, self.slot_meta_size = header_size, slot_meta_size
        self.generation = generation if generation is not None else new_generation()
        self.latest = 0
        self.frames_written = 0
        self.status_seq = 0
        self.version = version
        self.notify_seq = 0
        os.makedirs(root, mode=0o750, exist_ok=True)
        self.tmp = os.path.join(root, f'.tmp-{camera_id}-{os.getpid()}-{os.urandom(4).hex()}')
        os.mkdir(self.tmp, 0o750)
        msize = meta_size if meta_size is not None else header_size + slots * slot_meta_size
        dsize = data_size if data_size is not None else slots * self.slot_stride
        self.meta = self._create_file('frame.meta', msize)
        self.data = self._create_file('frame.data', dsize)
        self.data_len = dsize
        f = dict(version=version, header_size=header_size, slot_meta_size=slot_meta_size, slot_count=slots,
                 slot_stride=self.slot_stride, pixel_format=NV12, width=width, height=height, y_stride=width,
                 uv_stride=width, uv_offset=width * height, frame_size=self.frame_size,
                 writer_pid=os.getpid() if pid is None else pid, state=STATE_LIVE, generation=self.generation,
                 writer_pidns=own_pidns() if pidns is None else pidns, created_realtime_ns=real_ns(),
                 heartbeat_interval_ms=250, heartbeat_ns=mono_ns())
        if version >= 2:
            f.update(color_matrix=color_matrix, color_range=color_range)
        f.update(overrides or {})
        for name, value in f.items():
            if len(self.meta) >= H[name] + (8 if name in U64_FIELDS else 4):
                self.set_field(name, value)
        for i in range(slots):
            rec = self.record(i)
            if rec + SLOT_META_SIZE <= len(self.meta):
                patch = (slot_overrides or {}).get(i, {})
                struct.pack_into('<I', self.meta, rec + S_INDEX, patch.get('slot_index', i))
                struct.pack_into('<Q', self.meta, rec + S_DATA_OFFSET, patch.get('data_offset', i * self.slot_stride))
        # Address of notify_seq for FUTEX_WAKE. The ctypes object pins the mapping (close() drops it).
        self._notify_word = None
        if version >= 2 and isinstance(self.meta, mmap.mmap) and len(self.meta) >= H['notify_seq'] + 4:
            self._notify_word = ctypes.c_uint32.from_buffer(self.meta, H['notify_seq'])
        if publish:
            self.publish_dir(replace)

    def _create_file(self, name: str, size: int):
        fd = os.open(os.path.join(self.tmp, name), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            os.ftruncate(fd, size)
            if size == 0:
                return bytearray()  # mmap refuses empty files; nothing to write anyway
            return mmap.mmap(fd, size, access=mmap.ACCESS_WRITE)
        finally:
            os.close(fd)

    def publish_dir(self, replace: bool = False) -> None:
        """rename(2) the hidden directory into place; with replace, a stale export (a crashed
        writer's) is moved away first, as a restarting writer has to."""
        if replace and os.path.lexists(self.path):
            trash = os.path.join(self.root, f'.old-{self.camera_id}-{os.urandom(4).hex()}')
            os.rename(self.path, trash)
            os.rename(self.tmp, self.path)
            shutil.rmtree(trash)
        else:
            os.rename(self.tmp, self.path)

    # -- raw access ------------------------------------------------------------------------

    def record(self, index: int) -> int:
        return self.header_size + index * self.slot_meta_size

    def set_field(self, name: str, value: int) -> None:
        struct.pack_into('<Q' if name in U64_FIELDS else '<I', self.meta, H[name], value)

    def get_field(self, name: str) -> int:
        return struct.unpack_from('<Q' if name in U64_FIELDS else '<I', self.meta, H[name])[0]

    def slot_seq(self, index: int) -> int:
        return struct.unpack_from('<I', self.meta, self.record(index) + S_SEQ)[0]

    def set_slot_seq(self, index: int, value: int) -> None:
        struct.pack_into('<I', self.meta, self.record(index) + S_SEQ, value)

    # -- writer protocol (spec 5.1) -------------------------------------------------------------

    def begin_frame(self, data: bytes | None = None, partial: bool = True) -> int:
        """First half of write_frame: seq odd, (part of) the bytes copied. Returns the id."""
        fid = self.latest + 1
        index = (fid - 1) % self.slots
        rec = self.record(index)
        payload = data if data is not None else pattern(self.generation, fid, self.frame_size)
        q = self.slot_seq(index) + 1
        assert q & 1
        struct.pack_into('<I', self.meta, rec + S_SEQ, q)        # store_release(seq, odd)
        # fence_w: x86-64 keeps store order
        off = index * self.slot_stride
        n = len(payload) // 2 if partial else len(payload)
        self.data[off:off + n] = payload[:n]
        self._pending = (fid, index, payload, n)
        return fid

    def end_frame(self, publish: bool = True) -> int:
        fid, index, payload, n = self._pending
        rec = self.record(index)
        off = index * self.slot_stride
        self.data[off + n:off + len(payload)] = payload[n:]
        struct.pack_into('<QQQ', self.meta, rec + S_FRAME_ID, fid, mono_ns(), real_ns())
        struct.pack_into('<I', self.meta, rec + S_DATA_SIZE, self.frame_size)
        # fence_w
        struct.pack_into('<I', self.meta, rec + S_SEQ, self.slot_seq(index) + 1)  # even: stable
        self.latest = fid
        if publish:
            self.publish(fid)
            self.notify()
        return fid

    def write_frame(self, data: bytes | None = None) -> int:
        self.begin_frame(data, partial=False)
        return self.end_frame()

    def publish(self, fid: int | None = None, *, count: bool = True, heartbeat_ns: int | None = None) -> None:
        s = self.status_seq + 1
        struct.pack_into('<I', self.meta, H['status_seq'], s)     # odd
        if fid is not None:
            struct.pack_into('<Q', self.meta, H['latest_frame_id'], fid)
        struct.pack_into('<Q', self.meta, H['heartbeat_ns'], mono_ns() if heartbeat_ns is None else heartbeat_ns)
        if fid is not None and count:
            self.frames_written += 1
            struct.pack_into('<Q', self.meta, H['frames_written'], self.frames_written)
        struct.pack_into('<I', self.meta, H['status_seq'], s + 1)  # even
        self.status_seq = s + 1

    def notify(self) -> None:
        """Version 2: notify_seq + 1, then wake every waiter (spec 5.1, notify())."""
        if self._notify_word is None:
            return
        self.notify_seq = (self.notify_seq + 1) & 0xFFFFFFFF
        struct.pack_into('<I', self.meta, H['notify_seq'], self.notify_seq)  # store_release
        futex_wake(ctypes.addressof(self._notify_word))

    def set_state(self, state: int) -> None:
        """An atomic store of `state`, followed by notify() (spec 5.1)."""
        struct.pack_into('<I', self.meta, H['state'], state)
        self.notify()

    def idle(self) -> None:
        """FFmpeg ended: the writer is alive (heartbeats go on) but no frame will come."""
        self.set_state(STATE_IDLE)

    def set_source(self, width: int, height: int) -> None:
        """source_height first, then source_width (spec 3.1): width != 0 means both are set."""
        self.set_field('source_height', height)
        self.set_field('source_width', width)

    def heartbeat(self, heartbeat_ns: int | None = None) -> None:
        self.publish(None, heartbeat_ns=heartbeat_ns)

    def leave_status_odd(self) -> None:
        """A writer that died inside publish()."""
        self.status_seq += 1
        struct.pack_into('<I', self.meta, H['status_seq'], self.status_seq)

    def stop(self, remove: bool = True) -> None:
        self.set_state(STATE_STOPPED)
        if remove:
            os.unlink(os.path.join(self.path, 'frame.meta'))
            os.unlink(os.path.join(self.path, 'frame.data'))
            os.rmdir(self.path)

    def close(self) -> None:
        self._notify_word = None
        for m in (self.meta, self.data):
            if isinstance(m, mmap.mmap):
                m.close()


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument('--dir', required=True)
    p.add_argument('--camera', required=True)
    p.add_argument('--width', type=int, default=64)
    p.add_argument('--height', type=int, default=48)
    p.add_argument('--slots', type=int, default=4)
    p.add_argument('--pid', default=None,
                   help="writer pid (default: create: our parent, the long-lived caller; serve: ourselves), "
                        "or 'dead' for a pid that just exited")
    p.add_argument('--pidns', type=int, default=None, help='writer_pidns (default: our own)')


def _pid(value):
    if value is None:
        return None
    return dead_pid() if value == 'dead' else int(value)


def cmd_create(a) -> int:
    overrides = {}
    for item in a.override or []:
        name, _, value = item.partition('=')
        overrides[name] = int(value, 0)
    pid = os.getppid() if a.pid is None else _pid(a.pid)
    ex = FakeExport(a.dir, a.camera, a.width, a.height, a.slots, pid=pid, pidns=a.pidns,
                    generation=a.generation, version=a.version, header_size=a.header_size,
                    slot_meta_size=a.slot_meta_size, overrides=overrides, meta_size=a.meta_size,
                    data_size=a.data_size, replace=a.replace)
    if a.source:
        ex.set_source(*a.source)
    frames = []
    for _ in range(a.frames):
        fid = ex.write_frame()
        frames.append(fid)
    if a.heartbeat_age_ms is not None:
        ex.heartbeat(mono_ns() - a.heartbeat_age_ms * 1_000_000)
    if a.torn == 'odd':
        # The latest frame's slot is being rewritten (what a reader sees when the writer laps
        # it): seq odd, latest_frame_id still names the old frame.
        index = (ex.latest - 1) % ex.slots
        ex.set_slot_seq(index, ex.slot_seq(index) + 1)
    elif a.torn == 'lapped':
        # latest_frame_id names frame 1, but its slot already holds frame 1 + slots.
        assert ex.latest > ex.slots, 'lapped needs more frames than slots'
        ex.publish(1, count=False)
    elif a.torn == 'status-odd':
        ex.leave_status_odd()
    if a.idle:
        ex.idle()
    if a.stopped:
        ex.stop(remove=not a.keep_files)
    summary = {
        'path': ex.path, 'generation': str(ex.generation), 'frame_size': ex.frame_size,
        'latest': ex.latest,
        'frames': [{'frame_id': fid, 'checksum': f'{fnv1a64(pattern(ex.generation, fid, ex.frame_size)):016x}'}
                   for fid in frames[-a.slots:]],
    }
    ex.close()
    print(json.dumps(summary))
    return 0


def cmd_serve(a) -> int:
    """A live writer: frames at --fps (0: as fast as possible) with 250 ms heartbeats, for
    --seconds; with --restart-after, stops and publishes a new generation after that long; with
    --idle-after, goes IDLE after that long (heartbeats go on, frames stop)."""
    def start(replace: bool) -> FakeExport:
        ex = FakeExport(a.dir, a.camera, a.width, a.height, a.slots, pid=_pid(a.pid), pidns=a.pidns,
                        version=a.version, replace=replace)
        print(json.dumps({'event': 'generation', 'generation': str(ex.generation)}), flush=True)
        return ex

    ex = start(False)
    t0 = time.monotonic()
    restarted = idle = False
    interval = 1.0 / a.fps if a.fps > 0 else 0.0
    next_frame = time.monotonic()
    last_hb = time.monotonic()
    total = 0
    # Pattern frames are precomputed per id lazily; at full speed only small frames make sense.
    while time.monotonic() - t0 < a.seconds:
        now = time.monotonic()
        if a.restart_after is not None and not restarted and now - t0 >= a.restart_after:
            if a.crash:
                ex.close()   # no STOPPED, directory left behind: the next writer replaces it
                ex = start(True)
            else:
                ex.stop(remove=True)
                ex.close()
                ex = start(False)
            restarted = True
        if a.idle_after is not None and not idle and now - t0 >= a.idle_after:
            ex.idle()
            idle = True
            print(json.dumps({'event': 'idle', 'frames': total}), flush=True)
        if now >= next_frame and not idle:
            ex.write_frame()
            total += 1
            next_frame = next_frame + interval if interval else now
            last_hb = now
        elif now - last_hb >= 0.25:
            ex.heartbeat()
            last_hb = now
        if idle:
            time.sleep(max(0.0, last_hb + 0.25 - time.monotonic()))
        elif interval:
            time.sleep(max(0.0, min(next_frame - time.monotonic(), 0.25)))
    if not a.leave:
        ex.stop(remove=True)
    ex.close()
    print(json.dumps({'event': 'end', 'frames': total}), flush=True)
    return 0


def cmd_pingpong(a) -> int:
    """For lost wake-up tests: prints "ready", then commits one frame per line read on stdin,
    each after a random spin of up to 0.3 ms, so commits land anywhere in the reader's loop."""
    import random
    ex = FakeExport(a.dir, a.camera, a.width, a.height, a.slots, pid=_pid(a.pid), pidns=a.pidns)
    print('ready', flush=True)
    for _ in sys.stdin:
        end = time.perf_counter() + random.random() * 0.0003
        while time.perf_counter() < end:
            pass
        ex.write_frame()
    ex.close()
    return 0


def cmd_checksum(a) -> int:
    gen = int(a.generation)
    for fid in a.ids:
        print(f'{fid} {fnv1a64(pattern(gen, int(fid), a.size)):016x}')
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='make_fake_export.py')
    sub = parser.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('create')
    _common(c)
    c.add_argument('--frames', type=int, default=0)
    c.add_argument('--generation', type=int, default=None)
    c.add_argument('--version', type=int, default=VERSION)
    c.add_argument('--header-size', type=int, default=None, help='default: the version\'s (128 or 160)')
    c.add_argument('--slot-meta-size', type=int, default=SLOT_META_SIZE)
    c.add_argument('--meta-size', type=int, default=None)
    c.add_argument('--data-size', type=int, default=None)
    c.add_argument('--override', action='append', help='header field=value (e.g. pixel_format=0)')
    c.add_argument('--heartbeat-age-ms', type=int, default=None)
    c.add_argument('--torn', choices=('odd', 'lapped', 'status-odd'), default=None)
    c.add_argument('--stopped', action='store_true')
    c.add_argument('--idle', action='store_true', help='state IDLE (after the frames)')
    c.add_argument('--source', type=lambda v: tuple(int(x) for x in v.split('x')), default=None,
                   help='source geometry WxH (version 2)')
    c.add_argument('--keep-files', action='store_true', help='with --stopped: STOPPED but files still present')
    c.add_argument('--replace', action='store_true')
    s = sub.add_parser('serve')
    _common(s)
    s.add_argument('--fps', type=float, default=100.0)
    s.add_argument('--seconds', type=float, default=3.0)
    s.add_argument('--restart-after', type=float, default=None)
    s.add_argument('--crash', action='store_true', help='restart without stopping (directory replaced)')
    s.add_argument('--leave', action='store_true', help='leave the export in place at the end (no stop)')
    s.add_argument('--idle-after', type=float, default=None, help='go IDLE after this long')
    s.add_argument('--version', type=int, default=VERSION)
    _common(sub.add_parser('pingpong'))
    k = sub.add_parser('checksum')
    k.add_argument('--generation', required=True)
    k.add_argument('--size', type=int, required=True)
    k.add_argument('ids', nargs='+')
    a = parser.parse_args(argv)
    return {'create': cmd_create, 'serve': cmd_serve, 'pingpong': cmd_pingpong, 'checksum': cmd_checksum}[a.cmd](a)


if __name__ == '__main__':
    sys.exit(main())
