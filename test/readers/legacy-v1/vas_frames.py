"""Reader for VAS frame exports, format version 1.

VAS exports decoded NV12 camera frames into shared memory:

    <dir>/<camera_id>/frame.meta   header + slot table
    <dir>/<camera_id>/frame.data   slot_count page-aligned slots of raw NV12

docs/frame-export-format.md is the normative description; the names below mirror
src/layout/frame-export-layout.ts. Standard library only (os, mmap, struct); numpy is used
only by Frame.array() / FrameView.array() and only when it is importable.

Usage:

    from vas_frames import FrameReader

    with FrameReader('cam-1') as reader:          # dir: $AI_FRAME_EXPORT_DIR or /dev/shm/vas
        while True:
            frame = reader.wait_next(timeout=1.0)  # None on timeout
            if frame is None:
                print(reader.status())             # live / not-present / writer-dead / ...
                continue
            y_uv = frame.array()                   # (height * 3 // 2, width) uint8, needs numpy

A FrameReader is not thread-safe: use one per thread.

Memory ordering (read this before porting)
-------------------------------------------
The reader protocol (spec 5.2) is a seqlock. It needs, on the reader side:

  (a) each `seq` (and `status_seq`, `state`) read as one untorn 4-byte load;
  (b) the first seq load ordered before the loads of the copy, and the copy's loads ordered
      before the second seq load (`fence_r` in the spec).

Python has no atomics and no fences. What this module relies on:

  (a) `struct.Struct('<I').unpack_from(mmap, offset)` reads straight from the mapping (no
      intermediate copy). On a little-endian CPython, the '<' table uses the native unpacker
      for 'I', which does `memcpy(&x, p, 4)`; at -O2 that is one 32-bit load, and every seq
      field is 4-byte aligned inside a page-aligned mapping, so the load cannot tear.
  (b) Every step (seq load, copy via mmap slicing = one memcpy, seq load) is a separate C
      call made by the interpreter through function pointers, so the C compiler cannot move
      loads from one step into another. The hardware ordering is then what matters:
        - x86-64 (TSO): loads are never reordered with other loads, so program order is the
          observed order; the spec's fence_r is a compiler barrier only on x86-64. The
          protocol holds with these plain loads. This is the tested platform.
        - arm64: loads MAY be reordered with each other by the hardware, and nothing in this
          module emits the `dmb ishld` the spec requires for fence_r. In practice the two
          seq loads are separated from the copy by thousands of interpreter instructions, but
          that is not a guarantee: a torn frame could in principle be returned. This module is
          UNTESTED on arm64. There, prefer the C reader (src/reader/c/vas_frames.h, which
          emits real acquire loads and fences) through ctypes/cffi, or accept the risk.
          `MEMORY_ORDERING_GUARANTEED` below is False on anything but x86.

The writer side (VAS) is responsible for its own release stores and fences.
"""

from __future__ import annotations

import errno
import mmap
import os
import platform
import re
import stat
import struct
import sys
import time
from typing import Callable, Optional, Tuple

__all__ = [
    'FrameReader', 'Frame', 'FrameView', 'InvalidExport', 'validate_camera_id', 'validate_header',
    'fnv1a64', 'LIVE', 'NOT_PRESENT', 'WRITER_DEAD', 'RESTARTED', 'INVALID',
]

# ---------------------------------------------------------------------------------------------
# Layout (mirror of src/layout/frame-export-layout.ts)
# ---------------------------------------------------------------------------------------------

FORMAT_VERSION = 1
PIXEL_FORMAT_NV12 = 0x3231564E  # fourcc 'NV12' read as a little-endian u32
META_FILE_NAME = 'frame.meta'
DATA_FILE_NAME = 'frame.data'
SLOT_ALIGNMENT = 4096
HEADER_SIZE_V1 = 128
SLOT_META_SIZE_V1 = 64
HEARTBEAT_INTERVAL_MS = 250
HEARTBEAT_STALE_MS = 2000
DEFAULT_DIR = '/dev/shm/vas'


class WriterState:
    LIVE = 1
    STOPPED = 2


class Header:
    """Byte offsets of the global header of frame.meta."""
    VERSION = 0                 # u32, always first
    HEADER_SIZE = 4             # u32
    SLOT_META_SIZE = 8          # u32
    SLOT_COUNT = 12             # u32
    SLOT_STRIDE = 16            # u32, multiple of SLOT_ALIGNMENT
    PIXEL_FORMAT = 20           # u32, PIXEL_FORMAT_NV12
    WIDTH = 24                  # u32
    HEIGHT = 28                 # u32
    Y_STRIDE = 32               # u32
    UV_STRIDE = 36              # u32
    UV_OFFSET = 40              # u32
    FRAME_SIZE = 44             # u32
    WRITER_PID = 48             # u32
    STATE = 52                  # u32, atomic: WriterState
    GENERATION = 56             # u64
    WRITER_PIDNS = 64           # u64
    CREATED_REALTIME_NS = 72    # u64
    STATUS_SEQ = 80             # u32, atomic: seqlock over 88..127
    HEARTBEAT_INTERVAL_MS = 84  # u32
    # Status block, read under STATUS_SEQ:
    LATEST_FRAME_ID = 88        # u64
    HEARTBEAT_NS = 96           # u64
    FRAMES_WRITTEN = 104        # u64
    DROPPED_SIZE_MISMATCH = 112  # u64
    DROPPED_TRUNCATED = 120     # u64


class Slot:
    """Byte offsets inside one slot record; record i starts at header_size + i * slot_meta_size."""
    SEQ = 0             # u32, atomic seqlock: odd while written, even when stable
    INDEX = 4           # u32
    FRAME_ID = 8        # u64
    TIMESTAMP_NS = 16   # u64
    WALLCLOCK_NS = 24   # u64
    DATA_OFFSET = 32    # u64
    DATA_SIZE = 40      # u32


# Reader statuses (spec 5.3).
LIVE = 'live'
NOT_PRESENT = 'not-present'
WRITER_DEAD = 'writer-dead'
RESTARTED = 'restarted'
INVALID = 'invalid'

MEMORY_ORDERING_GUARANTEED = platform.machine().lower() in ('x86_64', 'amd64', 'i386', 'i686', 'x86')

_CAMERA_ID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')

# '<' on a little-endian CPython dispatches 'I'/'Q' to the native memcpy unpackers (see the
# module docstring, point (a)). The layout is little-endian, so refuse big-endian hosts.
if sys.byteorder != 'little':  # pragma: no cover
    raise ImportError('vas_frames: the frame export format is little-endian; big-endian hosts are not supported')

_U32 = struct.Struct('<I')
# Offsets 0..79: 14 u32 (version .. state) then 3 u64 (generation, writer_pidns, created).
_STATIC = struct.Struct('<14I3Q')
# Status block, offsets 88..127.
_STATUS = struct.Struct('<5Q')
# Slot record offsets 0..43: seq, slot_index, frame_id, timestamp_ns, wallclock_ns,
# data_offset, data_size.
_SLOT = struct.Struct('<II4QI')
assert _STATIC.size == 80 and _STATUS.size == 40 and _SLOT.size == 44

_STATUS_TRIES = 100     # like the TS reader: the writer holds status_seq odd for a few stores only
_READ_TRIES = 4         # "repeat up to a few times" (spec 5.2)

_O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_O_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_O_DIRECTORY = getattr(os, 'O_DIRECTORY', 0)

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF


class InvalidExport(ValueError):
    """An export that fails the open-time validation (spec section 6)."""


def validate_camera_id(camera_id: str) -> str:
    """Returns camera_id if it is a valid export name, raises ValueError otherwise."""
    # fullmatch, not match: '$' would also accept a trailing newline.
    if not isinstance(camera_id, str) or not _CAMERA_ID_RE.fullmatch(camera_id) or '..' in camera_id:
        raise ValueError(
            f'invalid camera_id {camera_id!r}: must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}$ '
            f'and must not contain ".."')
    return camera_id


def fnv1a64(data) -> int:
    """FNV-1a 64 of a bytes-like object (pure Python: about 0.1 s per MB)."""
    h = _FNV_OFFSET
    for b in bytes(data):
        h = ((h ^ b) * _FNV_PRIME) & _MASK64
    return h


def _numpy():
    try:
        import numpy  # noqa: PLC0415 (imported lazily: it costs ~100 ms and is optional)
    except ImportError as exc:
        raise RuntimeError(
            'numpy is not importable by this interpreter (%s); use Frame.data (bytes) or '
            'install numpy (Debian: apt-get install python3-numpy)' % sys.executable) from exc
    return numpy


def _own_pidns() -> Optional[int]:
    try:
        return os.stat('/proc/self/ns/pid').st_ino
    except OSError:
        return None


class _Geometry:
    """The static header fields, decoded and validated once per mapping."""
    __slots__ = ('version', 'header_size', 'slot_meta_size', 'slot_count', 'slot_stride',
                 'pixel_format', 'width', 'height', 'y_stride', 'uv_stride', 'uv_offset',
                 'frame_size', 'writer_pid', 'generation', 'writer_pidns', 'created_realtime_ns',
                 'heartbeat_interval_ms')


def validate_header(meta, meta_size: int, data_size: int) -> _Geometry:
    """Decodes the static header of a frame.meta buffer and applies spec section 6.

    Raises InvalidExport with a message naming the field and both values. Same checks, same
    order as the TypeScript reader (src/meta/meta-decoder.ts).
    """
    if meta_size < HEADER_SIZE_V1 or len(meta) < HEADER_SIZE_V1:
        raise InvalidExport(f'frame.meta is {meta_size} bytes, smaller than the {HEADER_SIZE_V1}-byte v1 header')
    (version, header_size, slot_meta_size, slot_count, slot_stride, pixel_format, width, height,
     y_stride, uv_stride, uv_offset, frame_size, writer_pid, _state, generation, writer_pidns,
     created_realtime_ns) = _STATIC.unpack_from(meta, 0)
    g = _Geometry()
    g.version, g.header_size, g.slot_meta_size = version, header_size, slot_meta_size
    g.slot_count, g.slot_stride, g.pixel_format = slot_count, slot_stride, pixel_format
    g.width, g.height, g.y_stride, g.uv_stride = width, height, y_stride, uv_stride
    g.uv_offset, g.frame_size, g.writer_pid = uv_offset, frame_size, writer_pid
    g.generation, g.writer_pidns, g.created_realtime_ns = generation, writer_pidns, created_realtime_ns
    g.heartbeat_interval_ms = _U32.unpack_from(meta, Header.HEARTBEAT_INTERVAL_MS)[0]

    expected_frame_size = y_stride * height + uv_stride * (height // 2)
    meta_needed = header_size + slot_count * slot_meta_size
    data_needed = slot_count * slot_stride
    checks = (
        (version >= FORMAT_VERSION, f'version {version} is older than {FORMAT_VERSION}'),
        (header_size >= HEADER_SIZE_V1, f'header_size {header_size} < {HEADER_SIZE_V1}'),
        (slot_meta_size >= SLOT_META_SIZE_V1, f'slot_meta_size {slot_meta_size} < {SLOT_META_SIZE_V1}'),
        # Not in the TS list: the seq loads must be aligned 4-byte loads to be untorn.
        (header_size % 4 == 0 and slot_meta_size % 4 == 0,
         f'header_size {header_size} / slot_meta_size {slot_meta_size} are not multiples of 4'),
        (pixel_format == PIXEL_FORMAT_NV12,
         f'pixel_format 0x{pixel_format:x} is not NV12 (0x{PIXEL_FORMAT_NV12:x})'),
        (width > 0 and width % 2 == 0 and height > 0 and height % 2 == 0,
         f'geometry {width}x{height} is not even and non-zero'),
        (y_stride >= width and uv_stride >= width, f'strides {y_stride}/{uv_stride} < width {width}'),
        (frame_size == expected_frame_size,
         f'frame_size {frame_size} != y_stride*height + uv_stride*height/2 ({expected_frame_size})'),
        (uv_offset == y_stride * height, f'uv_offset {uv_offset} != y_stride*height ({y_stride * height})'),
        (slot_count >= 1, f'slot_count {slot_count} < 1'),
        (slot_stride >= frame_size and slot_stride % SLOT_ALIGNMENT == 0,
         f'slot_stride {slot_stride} is below frame_size {frame_size} or not a multiple of {SLOT_ALIGNMENT}'),
        (meta_size >= meta_needed, f'frame.meta is {meta_size} bytes, needs {meta_needed}'),
        (data_size >= data_needed, f'frame.data is {data_size} bytes, needs {data_needed}'),
    )
    for ok, problem in checks:
        if not ok:
            raise InvalidExport(problem)
    return g


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------

class _FrameBase:
    __slots__ = ('camera_id', 'generation', 'frame_id', 'timestamp_ns', 'wallclock_ns', 'width',
                 'height', 'pixel_format', 'strides', 'uv_offset', 'data_size', 'slot', 'data')

    def _array(self, buffer):
        np = _numpy()
        y_stride, uv_stride = self.strides
        rows = self.height * 3 // 2
        flat = np.frombuffer(buffer, dtype=np.uint8)
        if y_stride == uv_stride and self.uv_offset == y_stride * self.height:
            out = flat[:rows * y_stride].reshape(rows, y_stride)
            return out if y_stride == self.width else out[:, :self.width]
        raise ValueError(f'cannot shape NV12 with strides {self.strides} and uv_offset {self.uv_offset} '
                         f'as one ({rows}, {self.width}) array')

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(camera_id={self.camera_id!r}, generation={self.generation}, '
                f'frame_id={self.frame_id}, timestamp_ns={self.timestamp_ns}, {self.width}x{self.height}, '
                f'slot={self.slot}, data_size={self.data_size})')


class Frame(_FrameBase):
    """A valid frame: metadata and a private copy of its NV12 bytes (`data`, bytes).

    Frames are identified by (generation, frame_id): frame ids restart at 1 with each
    generation of the export.
    """
    __slots__ = ()

    def array(self):
        """The NV12 bytes as a read-only numpy uint8 array shaped (height * 3 // 2, width):
        rows 0..height-1 are Y, the rest interleaved U,V. Call .copy() for a writable one."""
        return self._array(self.data)

    def planes(self):
        """(Y, UV): numpy views shaped (height, width) and (height // 2, width // 2, 2)."""
        a = self.array()
        return a[:self.height], a[self.height:].reshape(self.height // 2, self.width // 2, 2)


class FrameView(_FrameBase):
    """An optimistic zero-copy frame: `data` is a read-only memoryview of the slot itself.

    The writer may overwrite the slot at any moment. The consumer MUST call `still_valid()`
    AFTER it has finished reading `data` (or `array()`) and discard everything it derived from
    the view if it returns False. Views keep the mapping alive; release them promptly.
    """
    __slots__ = ('_check',)

    def still_valid(self) -> bool:
        """True if the slot was not touched by the writer since the view was taken."""
        return self._check()

    def array(self):
        """A read-only numpy view of the slot (same shape as Frame.array()); re-check with
        still_valid() after use."""
        return self._array(self.data)


# ---------------------------------------------------------------------------------------------
# Reader
# ---------------------------------------------------------------------------------------------

class FrameReader:
    """Reads one camera's export. Never fails because the export is absent: it attaches when
    the export appears and follows restarts (new generations) by itself.

    Attributes: camera_id, dir, path, generation (of the mapped export, or None), error (the
    validation message while status is 'invalid'), skipped (read attempts discarded because
    the slot was being written, was overwritten during the copy or held another frame).
    """

    READ_TRIES = _READ_TRIES

    def __init__(self, camera_id: str, dir: Optional[str] = None):  # noqa: A002 (API name)
        self.camera_id = validate_camera_id(camera_id)
        if dir is None:
            dir = os.environ.get('AI_FRAME_EXPORT_DIR') or DEFAULT_DIR
        self.dir = dir
        self.path = os.path.join(dir, camera_id)
        self.skipped = 0
        self.error: Optional[str] = None
        self.generation: Optional[int] = None
        self._own_pidns = _own_pidns()
        self._meta: Optional[mmap.mmap] = None
        self._data: Optional[mmap.mmap] = None
        self._geo: Optional[_Geometry] = None
        self._dir_id: Optional[Tuple[int, int]] = None     # (st_dev, st_ino) of the mapped directory
        self._invalid_id: Optional[Tuple[int, int, int]] = None  # directory that failed validation
        self._known_generation: Optional[int] = None        # last generation successfully attached
        self._restart_pending = False
        self._status_unreadable_since: Optional[int] = None
        self._last: Tuple[int, int] = (0, 0)                # (generation, frame_id) last returned
        self._closed = False
        self._evaluate()

    # -- public API ---------------------------------------------------------------------------

    def status(self) -> str:
        """'live', 'not-present', 'writer-dead', 'restarted' or 'invalid' (spec 5.3).

        'restarted' is returned once, by the first status() call after the reader re-attached
        to a new generation (while that generation is live); later calls return 'live'.
        """
        state = self._evaluate()
        if state == LIVE and self._restart_pending:
            self._restart_pending = False
            return RESTARTED
        return state

    def latest(self) -> Optional[Frame]:
        """A copy of the latest valid frame, or None (no frame yet, export not live, or no
        valid read within READ_TRIES attempts; discarded attempts are counted in `skipped`)."""
        if self._evaluate() != LIVE:
            return None
        frame = self._read(copy=True)
        if frame is not None:
            self._last = (frame.generation, frame.frame_id)
        return frame

    def latest_view(self) -> Optional[FrameView]:
        """Optimistic zero-copy variant of latest(): a FrameView over the slot memory, or None.
        The consumer must call view.still_valid() after using view.data and discard the result
        if it returns False (spec 5.2, last paragraph)."""
        if self._evaluate() != LIVE:
            return None
        view = self._read(copy=False)
        if view is not None:
            self._last = (view.generation, view.frame_id)
        return view

    def wait_next(self, timeout: Optional[float] = None) -> Optional[Frame]:
        """The next frame newer than the last one returned by latest()/wait_next() (a frame
        of a new generation always counts as newer), or None after `timeout` seconds (None:
        wait forever). Intermediate frames are skipped if the caller is slower than the camera.

        Polls the published latest_frame_id with short sleeps: 1 ms, backing off to 5 ms while
        live and to 50 ms while the export is absent or not live. Never busy-spins.
        """
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        sleep = 0.001
        next_full_check = 0.0
        state = NOT_PRESENT
        while True:
            now = time.monotonic()
            if now >= next_full_check or state != LIVE:
                # Full liveness check (stat of the directory, pid, heartbeat) at most every
                # 100 ms while live; every round otherwise.
                state = self._evaluate()
                next_full_check = now + 0.1
            if state == LIVE:
                status = self._read_status()
                latest = status[0] if status is not None else 0
                if latest != 0 and self._is_newer(self._geo.generation, latest):
                    if self._evaluate() == LIVE:
                        frame = self._read(copy=True)
                        if frame is not None and self._is_newer(frame.generation, frame.frame_id):
                            self._last = (frame.generation, frame.frame_id)
                            return frame
                    sleep = 0.001
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return None
            cap = 0.005 if state == LIVE else 0.05
            pause = min(sleep, cap)
            if deadline is not None:
                pause = min(pause, deadline - now)
            time.sleep(pause)
            sleep = min(sleep * 2, cap)

    def counters(self) -> Optional[dict]:
        """The status block (latest_frame_id, heartbeat_ns, frames_written,
        dropped_size_mismatch, dropped_truncated) of the mapped export, or None."""
        if self._meta is None:
            return None
        block = self._read_status()
        if block is None:
            return None
        return dict(zip(('latest_frame_id', 'heartbeat_ns', 'frames_written',
                         'dropped_size_mismatch', 'dropped_truncated'), block))

    def close(self) -> None:
        """Unmaps the export. Idempotent. FrameViews still held keep their mapping alive."""
        self._detach()
        self._closed = True

    def __enter__(self) -> 'FrameReader':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._detach()
        except Exception:  # pragma: no cover (interpreter shutdown)
            pass

    # -- liveness (spec 5.3) -------------------------------------------------------------------

    def _is_newer(self, generation: int, frame_id: int) -> bool:
        last_generation, last_id = self._last
        return generation != last_generation or frame_id > last_id

    def _evaluate(self) -> str:
        """The underlying status (never RESTARTED); attaches, re-attaches and detaches."""
        if self._closed:
            raise ValueError('FrameReader is closed')
        self._follow_directory()
        if self._meta is None:
            return INVALID if self.error is not None else NOT_PRESENT
        geo = self._geo
        state = _U32.unpack_from(self._meta, Header.STATE)[0]   # atomic: one aligned 4-byte load
        if state == WriterState.STOPPED:
            return NOT_PRESENT
        if state != WriterState.LIVE:
            self.error = f'state {state} is neither LIVE ({WriterState.LIVE}) nor STOPPED ({WriterState.STOPPED})'
            return INVALID
        self.error = None
        # Pid check only in the writer's pid namespace: elsewhere the pid means another process.
        # writer_pid 0 must never reach kill(): kill(0, 0) signals our own process group.
        if (geo.writer_pidns != 0 and geo.writer_pidns == self._own_pidns
                and 0 < geo.writer_pid <= 0x7FFFFFFF):
            try:
                os.kill(geo.writer_pid, 0)
            except ProcessLookupError:
                return WRITER_DEAD
            except PermissionError:
                pass  # exists, owned by another user: alive
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        block = self._read_status()
        if block is None:
            # status_seq stayed odd for every try: a writer that died (or froze) inside
            # publish(). Judge it by how long it has been unreadable, like a heartbeat.
            if self._status_unreadable_since is None:
                self._status_unreadable_since = now
            if now - self._status_unreadable_since > HEARTBEAT_STALE_MS * 1_000_000:
                return WRITER_DEAD
            return LIVE
        self._status_unreadable_since = None
        heartbeat_ns = block[1]
        if now - heartbeat_ns > HEARTBEAT_STALE_MS * 1_000_000:
            return WRITER_DEAD
        return LIVE

    def _follow_directory(self) -> None:
        """Makes the mapping follow <dir>/<camera_id>: attach when it appears, re-attach when
        the directory is replaced (restart), detach when it disappears."""
        try:
            st = os.stat(self.path, follow_symlinks=False)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                self._detach()
                self.error = None
                self._invalid_id = None
                return
            raise
        ident = (st.st_dev, st.st_ino)
        if self._meta is not None and ident == self._dir_id:
            return  # same directory inode: same generation, nothing to do
        # A directory whose contents failed validation is retried only when it changes
        # (entries added, removed or renamed update its mtime).
        if self._meta is None and self._invalid_id == (st.st_dev, st.st_ino, st.st_mtime_ns):
            return
        self._detach()
        self._attach()

    def _attach(self) -> None:
        """Opens and maps one export. Sets error on a validation failure; stays detached when
        the files are missing."""
        self.error = None
        self._invalid_id = None
        try:
            dirfd = os.open(self.path, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                raise
            # ENOTDIR / ELOOP: something that is not a directory (O_DIRECTORY | O_NOFOLLOW
            # refuses a symlink with either, depending on the kernel) or a missing parent.
            try:
                st = os.stat(self.path, follow_symlinks=False)
            except OSError:
                return  # gone: not present
            if stat.S_ISLNK(st.st_mode):
                self.error = f'{self.path} is a symbolic link, not the export directory'
            elif not stat.S_ISDIR(st.st_mode):
                self.error = f'{self.path} is not a directory (mode 0o{st.st_mode:o})'
            return
        meta_fd = data_fd = -1
        meta = data = None
        try:
            dst = os.fstat(dirfd)
            dir_ident = (dst.st_dev, dst.st_ino, dst.st_mtime_ns)
            flags = os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC
            # Both files from the SAME directory inode (spec section 1): openat(dirfd, ...).
            # Opening two paths in turn could pair the meta of one generation with the data of
            # the next.
            try:
                meta_fd = os.open(META_FILE_NAME, flags, dir_fd=dirfd)
                data_fd = os.open(DATA_FILE_NAME, flags, dir_fd=dirfd)
            except FileNotFoundError:
                return  # directory being created or removed: not present
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    self.error = 'frame.meta or frame.data is a symbolic link'
                    self._invalid_id = dir_ident
                    return
                raise
            mst, dst_ = os.fstat(meta_fd), os.fstat(data_fd)
            for name, st in ((META_FILE_NAME, mst), (DATA_FILE_NAME, dst_)):
                if not stat.S_ISREG(st.st_mode):
                    self.error = f'{name} is not a regular file (mode 0o{st.st_mode:o})'
                    self._invalid_id = dir_ident
                    return
            meta_size, data_size = mst.st_size, dst_.st_size
            if meta_size < HEADER_SIZE_V1:
                self.error = f'frame.meta is {meta_size} bytes, smaller than the {HEADER_SIZE_V1}-byte v1 header'
                self._invalid_id = dir_ident
                return
            # Read-only, MAP_SHARED (mmap.ACCESS_READ): we see the writer's stores, never write.
            meta = mmap.mmap(meta_fd, meta_size, access=mmap.ACCESS_READ)
            try:
                geo = validate_header(meta, meta_size, data_size)
            except InvalidExport as exc:
                self.error = str(exc)
                self._invalid_id = dir_ident
                return
            data = mmap.mmap(data_fd, data_size, access=mmap.ACCESS_READ)
            self._meta, self._data, self._geo = meta, data, geo
            meta = data = None  # owned by self now
            self._dir_id = (dst.st_dev, dst.st_ino)
            self.generation = geo.generation
            self._status_unreadable_since = None
            if self._known_generation is not None and geo.generation != self._known_generation:
                self._restart_pending = True
            self._known_generation = geo.generation
        finally:
            for m in (meta, data):
                if m is not None:
                    m.close()
            for fd in (meta_fd, data_fd, dirfd):
                if fd >= 0:
                    os.close(fd)

    def _detach(self) -> None:
        for name in ('_meta', '_data'):
            m = getattr(self, name, None)
            if m is not None:
                try:
                    m.close()
                except BufferError:
                    pass  # a FrameView still exports it: it is unmapped when the last view goes
                setattr(self, name, None)
        self._geo = None
        self._dir_id = None
        self.generation = None

    # -- reader protocol (spec 5.2) ------------------------------------------------------------

    def _read_status(self) -> Optional[tuple]:
        """read_status(): a consistent copy of the status block, or None if status_seq stayed
        odd for every try."""
        meta = self._meta
        for attempt in range(_STATUS_TRIES):
            s1 = _U32.unpack_from(meta, Header.STATUS_SEQ)[0]  # load_acquire (one 4-byte load)
            if s1 & 1:
                if attempt >= 8:
                    os.sched_yield()  # let a preempted writer finish its few stores
                continue
            # fence_r: program order suffices on x86-64 (module docstring, point (b)).
            block = _STATUS.unpack_from(meta, Header.LATEST_FRAME_ID)  # copy offsets 88..127
            # fence_r
            if _U32.unpack_from(meta, Header.STATUS_SEQ)[0] == s1:
                return block
        return None

    def _read(self, copy: bool):
        """read_latest(): a Frame (copy=True) or FrameView (copy=False), never a torn frame."""
        meta, data, geo = self._meta, self._data, self._geo
        frame_size = geo.frame_size
        data_len = len(data)
        for _ in range(self.READ_TRIES):
            block = self._read_status()
            if block is None:
                return None  # writer busy in publish() for every try; not a slot problem
            latest = block[0]
            if latest == 0:
                return None  # no frame yet
            index = (latest - 1) % geo.slot_count
            record = geo.header_size + index * geo.slot_meta_size
            q1 = _U32.unpack_from(meta, record + Slot.SEQ)[0]  # load_acquire (one 4-byte load)
            if q1 & 1:
                self.skipped += 1  # being written
                continue
            # fence_r: the field and data loads below come after the q1 load (x86-64: TSO).
            _seq, _index, frame_id, timestamp_ns, wallclock_ns, data_offset, data_size = \
                _SLOT.unpack_from(meta, record)
            if data_size != frame_size or data_offset + frame_size > data_len:
                self.skipped += 1  # torn fields (the seq check would fail) or a writer bug
                continue
            payload = data[data_offset:data_offset + frame_size] if copy else None  # one memcpy
            # fence_r: the q2 load comes after every load of the copy.
            q2 = _U32.unpack_from(meta, record + Slot.SEQ)[0]
            if q2 != q1:
                self.skipped += 1  # overwritten while copying
                continue
            if frame_id != latest:
                self.skipped += 1  # lapped: the slot holds another frame
                continue
            if copy:
                frame = Frame()
                frame.data = payload
            else:
                frame = FrameView()
                frame.data = memoryview(data)[data_offset:data_offset + frame_size]
                frame._check = _slot_checker(meta, record, q1)
            frame.camera_id = self.camera_id
            frame.generation = geo.generation
            frame.frame_id = frame_id
            frame.timestamp_ns = timestamp_ns
            frame.wallclock_ns = wallclock_ns
            frame.width = geo.width
            frame.height = geo.height
            frame.pixel_format = 'NV12'
            frame.strides = (geo.y_stride, geo.uv_stride)
            frame.uv_offset = geo.uv_offset
            frame.data_size = data_size
            frame.slot = index
            return frame
        return None


def _slot_checker(meta: mmap.mmap, record: int, q1: int) -> Callable[[], bool]:
    def still_valid() -> bool:
        # Must run after the consumer's last load from the view (program order; x86-64 TSO).
        try:
            return _U32.unpack_from(meta, record + Slot.SEQ)[0] == q1
        except ValueError:
            return False  # the reader was closed: cannot prove anything, so not valid
    return still_valid


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _frame_line(frame: Frame, checksum: bool) -> str:
    line = (f'frame_id={frame.frame_id} timestamp_ns={frame.timestamp_ns} width={frame.width} '
            f'height={frame.height} generation={frame.generation} data_size={frame.data_size}')
    if checksum:
        line += f' checksum={fnv1a64(frame.data):016x}'
    return line


def main(argv=None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog='vas_frames.py',
        description='Print the frames of a VAS frame export, one line per frame.')
    parser.add_argument('camera')
    parser.add_argument('--dir', default=None, help='export directory (default: $AI_FRAME_EXPORT_DIR or /dev/shm/vas)')
    parser.add_argument('--seconds', type=float, default=5.0, help='stop after this long (default 5)')
    parser.add_argument('--count', type=int, default=0, help='stop after this many frames (0: no limit)')
    parser.add_argument('--checksum', action='store_true',
                        help='append checksum=<FNV-1a 64 of the frame bytes> (same line as the C vas_frames_dump)')
    parser.add_argument('--latest', action='store_true', help='print the current latest frame once, then exit')
    parser.add_argument('--status', action='store_true',
                        help='print the status as JSON (u64 values as decimal strings), then exit')
    args = parser.parse_args(argv)

    try:
        reader = FrameReader(args.camera, dir=args.dir)
    except ValueError as exc:
        print(f'vas_frames: {exc}', file=sys.stderr)
        return 2
    with reader:
        if args.status:
            st = reader.status()
            # u64 values as decimal strings: JSON numbers lose precision above 2^53 in most
            # parsers (JavaScript's included).
            counters = reader.counters()
            print(json.dumps({
                'status': st, 'error': reader.error,
                'generation': None if reader.generation is None else str(reader.generation),
                'counters': None if counters is None else {k: str(v) for k, v in counters.items()},
            }))
            return 0 if st in (LIVE, RESTARTED) else 1
        if args.latest:
            frame = reader.latest()
            if frame is None:
                print(f'vas_frames: no valid frame (status={reader.status()}, skipped={reader.skipped})',
                      file=sys.stderr)
                return 1
            print(_frame_line(frame, args.checksum), flush=True)
            return 0
        deadline = time.monotonic() + args.seconds
        printed = 0
        last_status = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (args.count and printed >= args.count):
                break
            st = reader.status()
            if st != last_status:
                extra = f' ({reader.error})' if reader.error else ''
                print(f'status={st}{extra}', file=sys.stderr, flush=True)
                last_status = st
            frame = reader.wait_next(timeout=min(remaining, 0.25))
            if frame is not None:
                print(_frame_line(frame, args.checksum), flush=True)
                printed += 1
        print(f'vas_frames: {printed} frames, skipped={reader.skipped}', file=sys.stderr)
        return 0 if (args.count == 0 or printed >= args.count) else 1


if __name__ == '__main__':
    sys.exit(main())
