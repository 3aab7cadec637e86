"""Reader for VAS frame exports, format versions 1 and 2.

VAS exports decoded NV12 camera frames into shared memory:

    <dir>/<camera_id>/frame.meta   header + slot table
    <dir>/<camera_id>/frame.data   slot_count page-aligned slots of raw NV12

docs/frame-export-format.md is the normative description (section numbers below are its);
the names mirror src/layout/frame-export-layout.ts. Standard library only; numpy is needed by
Frame.array() / to_rgb() / to_bgr() only, and OpenCV (cv2) is used by to_rgb() / to_bgr() when
it is importable and converts the frame's own colour matrix and range (BT.601 limited only).

This file is the whole reader: `pip install <package>/src/reader/python` installs it as the
typed package `vas_frames`, or copy this one file next to your code.

Usage:

    from vas_frames import FrameReader

    with FrameReader('cam-1') as reader:          # dir: $AI_FRAME_EXPORT_DIR or /dev/shm/vas
        while True:
            frame = reader.wait_next(timeout=1.0)  # blocks on the export's futex word; None on timeout
            if frame is None:
                print(reader.status(), reader.error)   # live / idle / not-present / writer-dead / ...
                continue
            bgr = frame.to_bgr()                   # (height, width, 3) uint8, for OpenCV; needs numpy

A FrameReader is not thread-safe: use one per thread.

Platform: x86-64 Linux only. FrameReader() raises UnsupportedPlatform elsewhere (spec 5.3).

Memory ordering (read this before porting)
-------------------------------------------
The reader protocol (spec 5.2) is a seqlock. It needs, on the reader side:

  (a) each `seq` (and `status_seq`, `state`, `notify_seq`, `source_width`) read as one untorn
      4-byte load;
  (b) the first seq load ordered before the loads of the copy, and the copy's loads ordered
      before the second seq load (`fence_r` in the spec).

Python has no atomics and no fences. What this module relies on:

  (a) `struct.Struct('<I').unpack_from(mmap, offset)` reads straight from the mapping (no
      intermediate copy). On a little-endian CPython, the '<' table uses the native unpacker
      for 'I', which does `memcpy(&x, p, 4)`; at -O2 that is one 32-bit load, and every such
      field is 4-byte aligned inside a page-aligned mapping, so the load cannot tear.
  (b) Every step (seq load, copy via mmap slicing = one memcpy, seq load) is a separate C
      call made by the interpreter through function pointers, so the C compiler cannot move
      loads from one step into another. The hardware ordering is then what matters: on x86-64
      (TSO) loads are never reordered with other loads, so program order is the observed order
      and the spec's fence_r is a compiler barrier only. On arm64 loads MAY be reordered and
      nothing here can emit the `dmb ishld` that fence_r needs there, so a torn frame could be
      returned: the reader refuses to run anywhere but x86-64. Elsewhere use the C reader
      (src/reader/c/vas_frames.h, real acquire loads and fences), e.g. through ctypes or cffi.

The writer side (VAS) is responsible for its own release stores and fences.
"""

from __future__ import annotations

import ctypes
import errno
import math
import mmap
import os
import platform
import re
import stat
import struct
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

if TYPE_CHECKING:  # numpy is optional at run time
    import numpy
    from numpy.typing import NDArray
    Image = NDArray[numpy.uint8]

__all__ = [
    'FrameReader', 'Frame', 'FrameView', 'InvalidExport', 'UnsupportedPlatform', 'check_platform',
    'validate_camera_id', 'validate_header', 'nv12_to_rgb', 'fnv1a64',
    'LIVE', 'IDLE', 'RESTARTED', 'NOT_PRESENT', 'WRITER_DEAD', 'INVALID',
    'COLOR_MATRIX_BT709', 'COLOR_MATRIX_BT601', 'COLOR_RANGE_LIMITED', 'COLOR_RANGE_FULL',
]

# ---------------------------------------------------------------------------------------------
# Layout (spec sections 3 and 4; mirror of src/layout/frame-export-layout.ts)
# ---------------------------------------------------------------------------------------------

FORMAT_VERSION = 2
PIXEL_FORMAT_NV12 = 0x3231564E  # fourcc 'NV12' read as a little-endian u32
META_FILE_NAME = 'frame.meta'
DATA_FILE_NAME = 'frame.data'
SLOT_ALIGNMENT = 4096
HEADER_SIZE_V1 = 128
HEADER_SIZE_V2 = 160
SLOT_META_SIZE_V1 = 64
DEFAULT_DIR = '/dev/shm/vas'

# Timing rules (spec 5.2, 5.4, 6.3).
HEARTBEAT_STALE_MS = 2000
STATUS_TRIES = 100
READ_TRIES = 4
WAIT_RECHECK_MS = 1000
POLL_MS = 100
FRAME_POLL_MS = 5


class WriterState:
    LIVE = 1
    STOPPED = 2
    IDLE = 3  # version 2


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
    # Version 2:
    NOTIFY_SEQ = 128            # u32, atomic: the futex word
    COLOR_MATRIX = 132          # u32, H.273 MatrixCoefficients
    COLOR_RANGE = 136           # u32, 1 limited, 2 full
    SOURCE_WIDTH = 140          # u32, atomic, 0 = not known
    SOURCE_HEIGHT = 144         # u32, atomic


class Slot:
    """Byte offsets inside one slot record; record i starts at header_size + i * slot_meta_size."""
    SEQ = 0             # u32, atomic seqlock: odd while written, even when stable
    INDEX = 4           # u32
    FRAME_ID = 8        # u64
    TIMESTAMP_NS = 16   # u64
    WALLCLOCK_NS = 24   # u64
    DATA_OFFSET = 32    # u64
    DATA_SIZE = 40      # u32


# Colour (spec 3.3).
COLOR_MATRIX_BT709 = 1
COLOR_MATRIX_BT601 = 6
COLOR_RANGE_LIMITED = 1
COLOR_RANGE_FULL = 2

# Reader statuses (spec 6).
LIVE = 'live'
IDLE = 'idle'
RESTARTED = 'restarted'
NOT_PRESENT = 'not-present'
WRITER_DEAD = 'writer-dead'
INVALID = 'invalid'

SUPPORTED_MACHINES = ('x86_64', 'amd64')

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

_O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_O_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_O_DIRECTORY = getattr(os, 'O_DIRECTORY', 0)

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF


class InvalidExport(ValueError):
    """An export that fails the attach-time validation (spec section 7)."""


class UnsupportedPlatform(RuntimeError):
    """The Python reader runs on x86-64 only (spec 5.3)."""


def check_platform() -> None:
    """Raises UnsupportedPlatform unless this machine is x86-64 (spec 5.3)."""
    machine = platform.machine()
    if machine.lower() not in SUPPORTED_MACHINES:
        raise UnsupportedPlatform(
            f'vas_frames: the Python reader runs on x86-64 only, this machine is {machine or "unknown"}: '
            'Python has no memory fences and only x86-64 keeps the seqlock loads in order without them '
            '(docs/frame-export-format.md 5.3); use the C reader src/reader/c/vas_frames.h, which has real fences')


def validate_camera_id(camera_id: str) -> str:
    """Returns camera_id if it is a valid export name, raises ValueError otherwise."""
    # fullmatch, not match: '$' would also accept a trailing newline.
    if not isinstance(camera_id, str) or not _CAMERA_ID_RE.fullmatch(camera_id) or '..' in camera_id:
        raise ValueError(
            f'invalid camera_id {camera_id!r}: must match ^[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}$ '
            f'and must not contain ".."')
    return camera_id


def fnv1a64(data: Any) -> int:
    """FNV-1a 64 of a bytes-like object (pure Python: about 0.1 s per MB)."""
    h = _FNV_OFFSET
    for b in bytes(data):
        h = ((h ^ b) * _FNV_PRIME) & _MASK64
    return h


def _numpy() -> Any:
    try:
        import numpy  # noqa: PLC0415 (imported lazily: it costs ~100 ms and is optional)
    except ImportError as exc:
        raise RuntimeError(
            'numpy is not importable by this interpreter (%s); use Frame.data (bytes) or '
            'install numpy (pip install numpy, or Debian: apt-get install python3-numpy)' % sys.executable) from exc
    return numpy


_cv2_module: Any = False  # False: not tried yet; None: not importable


def _cv2() -> Any:
    global _cv2_module
    if _cv2_module is False:
        try:
            import cv2  # type: ignore[import]  # noqa: PLC0415 (optional)
            _cv2_module = cv2
        except ImportError:
            _cv2_module = None
    return _cv2_module


def _monotonic_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def _own_pidns() -> int:
    """Inode of this process's pid namespace, 0 if unknown (spec 6.3)."""
    try:
        return os.stat('/proc/self/ns/pid').st_ino
    except OSError:
        return 0


def _process_gone(pid: int) -> bool:
    """Liveness rules 1 and 2 (spec 6.3) for a pid of OUR pid namespace: True if the process
    does not exist or is a zombie (killed, not yet reaped). Never called with pid <= 0."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, owned by another user
    try:
        fd = os.open(f'/proc/{pid}/stat', os.O_RDONLY | _O_CLOEXEC)  # os.open: 4x cheaper than open()
        try:
            line = os.read(fd, 512)  # the state comes within the first 50 bytes
        finally:
            os.close(fd)
    except OSError:
        return False  # /proc unreadable: the heartbeat rule judges, at most 2 s later
    # "pid (comm) S ...": comm may contain ')' and spaces, the state follows the last ')'.
    fields = line[line.rfind(b')') + 1:].split()
    return bool(fields) and fields[0] in (b'Z', b'X')


# ---------------------------------------------------------------------------------------------
# FUTEX_WAIT through ctypes (spec 5.4)
# ---------------------------------------------------------------------------------------------

_SYS_FUTEX = 202    # x86-64 Linux; the reader runs on x86-64 only
_FUTEX_WAIT = 0     # shared: no FUTEX_PRIVATE_FLAG, the word lives in a shared file mapping


class _Timespec(ctypes.Structure):
    _fields_ = [('tv_sec', ctypes.c_long), ('tv_nsec', ctypes.c_long)]


class _PyBuffer(ctypes.Structure):
    """CPython's Py_buffer."""
    _fields_ = [('buf', ctypes.c_void_p), ('obj', ctypes.c_void_p), ('len', ctypes.c_ssize_t),
                ('itemsize', ctypes.c_ssize_t), ('readonly', ctypes.c_int), ('ndim', ctypes.c_int),
                ('format', ctypes.c_char_p), ('shape', ctypes.c_void_p), ('strides', ctypes.c_void_p),
                ('suboffsets', ctypes.c_void_p), ('internal', ctypes.c_void_p)]


def _load_futex() -> Optional[Tuple[Callable[..., int], Callable[..., int], Callable[..., None]]]:
    """(syscall, PyObject_GetBuffer, PyBuffer_Release), or None where they are not available
    (not CPython, no libc): the reader then polls."""
    try:
        syscall = ctypes.CDLL(None, use_errno=True).syscall
        syscall.restype = ctypes.c_long
        # Own prototypes: setting argtypes on ctypes.pythonapi's shared objects would change
        # them for every other user in the process.
        get = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int)(
            ('PyObject_GetBuffer', ctypes.pythonapi))
        release = ctypes.PYFUNCTYPE(None, ctypes.POINTER(_PyBuffer))(('PyBuffer_Release', ctypes.pythonapi))
    except (AttributeError, OSError):  # pragma: no cover (not CPython on Linux)
        return None
    return syscall, get, release


_FUTEX = _load_futex()


def _mapping_address(mapping: mmap.mmap) -> Optional[int]:
    """Address of a read-only mmap. ctypes' from_buffer needs a writable buffer, so this asks
    the buffer protocol directly and releases the export at once (the mmap stays open and
    never moves until it is closed, which only this reader does)."""
    if _FUTEX is None:
        return None
    view = _PyBuffer()
    _FUTEX[1](mapping, ctypes.byref(view), 0)  # PyBUF_SIMPLE: a read-only export is fine
    try:
        address: Optional[int] = view.buf
        return address
    finally:
        _FUTEX[2](ctypes.byref(view))


def _futex_wait(address: int, expected: int, seconds: float) -> bool:
    """FUTEX_WAIT: sleeps while the u32 at address equals expected, until a FUTEX_WAKE, the
    timeout or a signal. Reads the word, writes nothing. False if futex is unusable here."""
    assert _FUTEX is not None
    whole = int(seconds)
    timeout = _Timespec(whole, int((seconds - whole) * 1e9))
    if _FUTEX[0](ctypes.c_long(_SYS_FUTEX), ctypes.c_void_p(address), ctypes.c_long(_FUTEX_WAIT),
                 ctypes.c_long(expected), ctypes.byref(timeout), ctypes.c_void_p(None), ctypes.c_long(0)) == -1:
        # EAGAIN: the word had already changed; ETIMEDOUT; EINTR: a signal. All: look again.
        return ctypes.get_errno() in (errno.EAGAIN, errno.ETIMEDOUT, errno.EINTR)
    return True


# ---------------------------------------------------------------------------------------------
# Attach-time validation (spec section 7)
# ---------------------------------------------------------------------------------------------

class _Geometry:
    """The static header fields of one mapped generation, decoded and validated once."""
    __slots__ = ('version', 'header_size', 'slot_meta_size', 'slot_count', 'slot_stride',
                 'pixel_format', 'width', 'height', 'y_stride', 'uv_stride', 'uv_offset',
                 'frame_size', 'writer_pid', 'generation', 'writer_pidns', 'created_realtime_ns',
                 'heartbeat_interval_ms', 'color_matrix', 'color_range', 'data_offsets')
    version: int
    header_size: int
    slot_meta_size: int
    slot_count: int
    slot_stride: int
    pixel_format: int
    width: int
    height: int
    y_stride: int
    uv_stride: int
    uv_offset: int
    frame_size: int
    writer_pid: int
    generation: int
    writer_pidns: int
    created_realtime_ns: int
    heartbeat_interval_ms: int
    color_matrix: int             # version 1 files: BT.601 (spec 3.5)
    color_range: int
    data_offsets: Tuple[int, ...]  # per slot, as checked at attach


def validate_header(meta: Any, meta_size: int, data_size: int) -> _Geometry:
    """Decodes the static header of a frame.meta buffer and applies spec section 7, in its
    order. Raises InvalidExport with a message naming the field and both values."""
    if meta_size < HEADER_SIZE_V1 or len(meta) < HEADER_SIZE_V1:
        raise InvalidExport(f'frame.meta is {meta_size} bytes, smaller than the {HEADER_SIZE_V1}-byte v1 header')
    (version, header_size, slot_meta_size, slot_count, slot_stride, pixel_format, width, height,
     y_stride, uv_stride, uv_offset, frame_size, writer_pid, _state, generation, writer_pidns,
     created_realtime_ns) = _STATIC.unpack_from(meta, 0)
    min_header = HEADER_SIZE_V2 if version >= 2 else HEADER_SIZE_V1
    expected_frame_size = y_stride * height + uv_stride * (height // 2)
    meta_needed = header_size + slot_count * slot_meta_size
    data_needed = slot_count * slot_stride
    checks = (
        (version >= 1, f'version {version} is older than 1'),
        (generation != 0, f'generation {generation}: must be non-zero'),
        (header_size >= min_header, f'header_size {header_size} < {min_header} (version {version})'),
        (slot_meta_size >= SLOT_META_SIZE_V1, f'slot_meta_size {slot_meta_size} < {SLOT_META_SIZE_V1}'),
        (header_size % 8 == 0, f'header_size {header_size} is not a multiple of 8'),
        (slot_meta_size % 8 == 0, f'slot_meta_size {slot_meta_size} is not a multiple of 8'),
        (pixel_format == PIXEL_FORMAT_NV12,
         f'pixel_format 0x{pixel_format:x} is not NV12 (0x{PIXEL_FORMAT_NV12:x})'),
        (width > 0 and width % 2 == 0 and height > 0 and height % 2 == 0,
         f'geometry {width}x{height} is not even and non-zero'),
        (y_stride >= width, f'y_stride {y_stride} < width {width}'),
        (uv_stride >= width, f'uv_stride {uv_stride} < width {width}'),
        (uv_offset == y_stride * height, f'uv_offset {uv_offset} != y_stride*height ({y_stride * height})'),
        (frame_size == expected_frame_size,
         f'frame_size {frame_size} != y_stride*height + uv_stride*height/2 ({expected_frame_size})'),
        (slot_count >= 1, f'slot_count {slot_count} < 1'),
        (slot_stride >= frame_size, f'slot_stride {slot_stride} < frame_size {frame_size}'),
        (slot_stride % SLOT_ALIGNMENT == 0, f'slot_stride {slot_stride} is not a multiple of {SLOT_ALIGNMENT}'),
        (meta_size >= meta_needed, f'frame.meta is {meta_size} bytes, needs {meta_needed}'),
        (data_size >= data_needed, f'frame.data is {data_size} bytes, needs {data_needed}'),
    )
    for ok, problem in checks:
        if not ok:
            raise InvalidExport(problem)
    offsets = []
    for i in range(slot_count):
        record = header_size + i * slot_meta_size
        index = _U32.unpack_from(meta, record + Slot.INDEX)[0]
        offset = struct.unpack_from('<Q', meta, record + Slot.DATA_OFFSET)[0]
        if index != i:
            raise InvalidExport(f'slot {i}: slot_index {index} != {i}')
        if offset % SLOT_ALIGNMENT != 0:
            raise InvalidExport(f'slot {i}: data_offset {offset} is not a multiple of {SLOT_ALIGNMENT}')
        if offset + frame_size > data_size:
            raise InvalidExport(f'slot {i}: data_offset {offset} + frame_size {frame_size} > frame.data size {data_size}')
        offsets.append(offset)

    g = _Geometry()
    g.version, g.header_size, g.slot_meta_size = version, header_size, slot_meta_size
    g.slot_count, g.slot_stride, g.pixel_format = slot_count, slot_stride, pixel_format
    g.width, g.height, g.y_stride, g.uv_stride = width, height, y_stride, uv_stride
    g.uv_offset, g.frame_size, g.writer_pid = uv_offset, frame_size, writer_pid
    g.generation, g.writer_pidns, g.created_realtime_ns = generation, writer_pidns, created_realtime_ns
    g.heartbeat_interval_ms = _U32.unpack_from(meta, Header.HEARTBEAT_INTERVAL_MS)[0]
    if version >= 2:
        g.color_matrix = _U32.unpack_from(meta, Header.COLOR_MATRIX)[0]
        g.color_range = _U32.unpack_from(meta, Header.COLOR_RANGE)[0]
    else:  # spec 3.5: version 1 frames are BT.601 (FFmpeg's rule for an unspecified matrix), limited
        g.color_matrix, g.color_range = COLOR_MATRIX_BT601, COLOR_RANGE_LIMITED
    g.data_offsets = tuple(offsets)
    return g


# ---------------------------------------------------------------------------------------------
# Colour (spec 3.3)
# ---------------------------------------------------------------------------------------------

def _coefficients(color_matrix: int, color_range: int) -> Tuple[float, float, float, float, float, float]:
    """(y_scale, y_offset, r_v, g_u, g_v, b_u): R = (Y - y_offset) * y_scale + r_v * (V - 128),
    G = ... + g_u * (U - 128) + g_v * (V - 128), B = ... + b_u * (U - 128)."""
    kr, kb = (0.2126, 0.0722) if color_matrix == COLOR_MATRIX_BT709 else (0.299, 0.114)  # else: BT.601
    kg = 1.0 - kr - kb
    if color_range == COLOR_RANGE_FULL:
        y_scale, y_offset, c_scale = 1.0, 0.0, 1.0
    else:  # anything but 2 is limited
        y_scale, y_offset, c_scale = 255.0 / 219.0, 16.0, 255.0 / 224.0
    return (y_scale, y_offset, c_scale * 2 * (1 - kr), -c_scale * 2 * kb * (1 - kb) / kg,
            -c_scale * 2 * kr * (1 - kr) / kg, c_scale * 2 * (1 - kb))


def _uses_cv2(color_matrix: int, color_range: int) -> bool:
    """OpenCV's COLOR_YUV2RGB_NV12 has fixed BT.601 limited-range coefficients."""
    return color_matrix != COLOR_MATRIX_BT709 and color_range != COLOR_RANGE_FULL


def nv12_to_rgb(nv12: Any, width: int, height: int, *, y_stride: Optional[int] = None,
                uv_stride: Optional[int] = None, color_matrix: int = COLOR_MATRIX_BT601,
                color_range: int = COLOR_RANGE_LIMITED, bgr: bool = False, out: Optional['Image'] = None,
                use_cv2: bool = True) -> 'Image':
    """Converts one NV12 frame (bytes-like: `height` rows of `y_stride` bytes of Y, then
    `height / 2` rows of `uv_stride` bytes of interleaved U, V) to a (height, width, 3) uint8
    array, RGB or BGR, with the formula of spec 3.3: the chroma sample at (x / 2, y / 2) serves
    the 2x2 block at (x, y); values rounded to nearest and clamped to 0..255.

    color_matrix: H.273 code (1 = BT.709, anything else BT.601); color_range: 2 = full,
    anything else limited. OpenCV's cvtColor is used when cv2 is importable, use_cv2 is true and
    it computes the same thing (BT.601 limited); numpy otherwise. out: a C-contiguous
    (height, width, 3) uint8 array to write into (no allocation for the result).
    """
    np = _numpy()
    y_stride = width if y_stride is None else y_stride
    uv_stride = width if uv_stride is None else uv_stride
    if out is None:
        out = np.empty((height, width, 3), dtype=np.uint8)
    elif out.shape != (height, width, 3) or out.dtype != np.uint8 or not out.flags.c_contiguous:
        raise ValueError(f'out must be a C-contiguous ({height}, {width}, 3) uint8 array, '
                         f'not {out.shape} {out.dtype}')
    flat = np.frombuffer(nv12, dtype=np.uint8)
    y_plane = flat[:y_stride * height].reshape(height, y_stride)[:, :width]
    uv_rows = flat[y_stride * height:y_stride * height + uv_stride * (height // 2)].reshape(height // 2, uv_stride)
    cv2 = _cv2() if use_cv2 and _uses_cv2(color_matrix, color_range) and y_stride == uv_stride else None
    if cv2 is not None:
        nv12_rows = flat[:y_stride * height * 3 // 2].reshape(height * 3 // 2, y_stride)[:, :width]
        cv2.cvtColor(nv12_rows, cv2.COLOR_YUV2BGR_NV12 if bgr else cv2.COLOR_YUV2RGB_NV12, dst=out)
        return out

    y_scale, y_offset, r_v, g_u, g_v, b_u = (np.float32(c) for c in _coefficients(color_matrix, color_range))
    f32 = np.float32
    h2, w2 = height // 2, width // 2
    uv = uv_rows[:, :width].reshape(h2, w2, 2)
    u = uv[..., 0].astype(f32)
    u -= f32(128)
    v = uv[..., 1].astype(f32)
    v -= f32(128)
    # Luma + 0.5 (the rounding) as (h/2, 2, width): the two rows served by each chroma row.
    # Every operation below runs along whole rows: numpy is slow on short inner axes.
    luma = np.multiply(y_plane, y_scale, dtype=f32)
    luma += f32(0.5) - y_offset * y_scale
    luma = luma.reshape(h2, 2, width)
    rows = out.reshape(h2, 2, width, 3)
    channel = np.empty_like(luma)
    wide = np.empty((h2, w2, 2), dtype=f32)  # one chroma row, each sample twice: columns x, x+1
    r, b = (2, 0) if bgr else (0, 2)
    for index, chroma in ((r, r_v * v), (1, g_u * u + g_v * v), (b, b_u * u)):
        wide[...] = chroma[:, :, None]
        np.add(luma, wide.reshape(h2, 1, width), out=channel)  # broadcast over both rows
        np.maximum(channel, f32(0), out=channel)
        np.minimum(channel, f32(255), out=channel)
        rows[..., index] = channel  # float -> uint8 truncates: with the +0.5, round to nearest
    return out


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------

class _FrameBase:
    __slots__ = ('camera_id', 'generation', 'frame_id', 'timestamp_ns', 'wallclock_ns', 'width',
                 'height', 'pixel_format', 'strides', 'uv_offset', 'data_size', 'slot', 'data',
                 'color_matrix', 'color_range', 'source_size')

    camera_id: str
    generation: int
    frame_id: int
    timestamp_ns: int           # CLOCK_MONOTONIC at commit
    wallclock_ns: int           # CLOCK_REALTIME at commit
    width: int
    height: int
    pixel_format: str           # 'NV12'
    strides: Tuple[int, int]    # (y_stride, uv_stride)
    uv_offset: int
    data_size: int
    slot: int
    color_matrix: int           # H.273: 1 BT.709, 6 BT.601 (version 1 exports: 6)
    color_range: int            # 1 limited, 2 full
    source_size: Optional[Tuple[int, int]]  # camera picture before scaling, None if not known
    data: Any

    def _array(self, buffer: Any) -> 'Image':
        np = _numpy()
        y_stride, uv_stride = self.strides
        rows = self.height * 3 // 2
        flat = np.frombuffer(buffer, dtype=np.uint8)
        if y_stride == uv_stride:
            out: Image = flat[:rows * y_stride].reshape(rows, y_stride)
            return out if y_stride == self.width else out[:, :self.width]
        raise ValueError(f'cannot shape NV12 with strides {self.strides} as one ({rows}, {self.width}) array')

    def _convert(self, bgr: bool, out: Optional['Image']) -> 'Image':
        return nv12_to_rgb(self.data, self.width, self.height, y_stride=self.strides[0], uv_stride=self.strides[1],
                           color_matrix=self.color_matrix, color_range=self.color_range, bgr=bgr, out=out)

    def to_rgb(self, out: Optional['Image'] = None) -> 'Image':
        """(height, width, 3) uint8 RGB, with the frame's own matrix and range (nv12_to_rgb)."""
        return self._convert(False, out)

    def to_bgr(self, out: Optional['Image'] = None) -> 'Image':
        """(height, width, 3) uint8 BGR (OpenCV's channel order), see to_rgb()."""
        return self._convert(True, out)

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
    data: bytes

    def array(self) -> 'Image':
        """The NV12 bytes as a read-only numpy uint8 array shaped (height * 3 // 2, width):
        rows 0..height-1 are Y, the rest interleaved U,V. Call .copy() for a writable one."""
        return self._array(self.data)

    def planes(self) -> Tuple['Image', 'Image']:
        """(Y, UV): numpy views shaped (height, width) and (height // 2, width // 2, 2)."""
        a = self.array()
        return a[:self.height], a[self.height:].reshape(self.height // 2, self.width // 2, 2)


class FrameView(_FrameBase):
    """An optimistic zero-copy frame: `data` is a read-only memoryview of the slot itself.

    The writer may overwrite the slot at any moment. The consumer MUST call `still_valid()`
    AFTER it has finished reading `data` (or array(), to_rgb(), ...) and discard everything it
    derived from the view if it returns False. Views keep the mapping alive; release them promptly.
    """
    __slots__ = ('_check',)
    data: memoryview
    _check: Callable[[], bool]

    def still_valid(self) -> bool:
        """True if the slot was not touched by the writer since the view was taken."""
        return self._check()

    def array(self) -> 'Image':
        """A read-only numpy view of the slot (same shape as Frame.array()); re-check with
        still_valid() after use."""
        return self._array(self.data)


# ---------------------------------------------------------------------------------------------
# Reader
# ---------------------------------------------------------------------------------------------

class FrameReader:
    """Reads one camera's export. Never fails because the export is absent, unreadable or
    invalid: status() says so. It attaches when the export appears and follows restarts (new
    generations) by itself.

    Attributes: camera_id, dir, path, generation (of the mapped export, or None), error (the
    one-line reason while status is 'invalid'), skipped (read attempts discarded: slot being
    written, overwritten during the copy, holding another frame, a wrong data_size, or the
    status block busy).
    """

    READ_TRIES = READ_TRIES

    def __init__(self, camera_id: str, dir: Optional[str] = None):  # noqa: A002 (API name)
        check_platform()
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
        self._dir_id: Optional[Tuple[int, int]] = None   # (st_dev, st_ino) of the mapped directory
        self._notify_address: Optional[int] = None       # of notify_seq, when FUTEX_WAIT can be used
        self._known_generation: Optional[int] = None      # last generation attached
        self._restart_pending = False
        self._busy_since: Optional[int] = None            # liveness rule 4: first BUSY of a run
        self._heartbeat_dead = False                      # verdict of liveness rules 3 and 4
        self._last: Tuple[int, int] = (0, 0)              # (generation, frame_id) last returned
        self._closed = False
        self._evaluate()

    # -- public API ---------------------------------------------------------------------------

    def status(self) -> str:
        """'live', 'idle', 'restarted', 'not-present', 'writer-dead' or 'invalid' (spec 6);
        while 'invalid', `error` holds the reason.

        'restarted' is returned once, instead of 'live' or 'idle', by the first status() call
        after the reader attached to a generation other than the one attached before.
        """
        st = self._evaluate()
        if st in (LIVE, IDLE) and self._restart_pending:
            self._restart_pending = False
            return RESTARTED
        return st

    def latest(self) -> Optional[Frame]:
        """A copy of the latest valid frame, or None (no frame yet, status not live / idle, or
        no valid read within READ_TRIES attempts; discarded attempts are counted in `skipped`)."""
        if self._evaluate() not in (LIVE, IDLE):
            return None
        frame = self._read(copy=True)
        if frame is not None:
            self._last = (frame.generation, frame.frame_id)
        return frame  # type: ignore[return-value]

    def latest_view(self) -> Optional[FrameView]:
        """Optimistic zero-copy variant of latest(): a FrameView over the slot memory, or None.
        The consumer must call view.still_valid() after using view.data and discard the result
        if it returns False (spec 5.2, last paragraph)."""
        if self._evaluate() not in (LIVE, IDLE):
            return None
        view = self._read(copy=False)
        if view is not None:
            self._last = (view.generation, view.frame_id)
        return view  # type: ignore[return-value]

    def wait_next(self, timeout: Optional[float] = None) -> Optional[Frame]:
        """The next frame newer than the last one returned by latest()/wait_next() (a frame of
        a new generation always counts as newer), or None after `timeout` seconds (None: wait
        forever). Intermediate frames are skipped if the caller is slower than the camera.

        Sleeps in FUTEX_WAIT on the export's notify_seq (version 2), woken by the writer's
        commit: about one wake-up per frame. Re-evaluates the status at least every
        WAIT_RECHECK_MS. Polls every FRAME_POLL_MS on a version 1 export or where futex cannot
        be used, every POLL_MS while there is nothing to read (spec 5.4).
        """
        deadline = None if timeout is None else _monotonic_ns() + int(max(0.0, timeout) * 1e9)
        while True:
            readable = self._evaluate() in (LIVE, IDLE)
            word = None
            if readable:
                if self._notify_address is not None:
                    # Load notify_seq BEFORE looking for a frame. A commit after this load
                    # changes the word, so the FUTEX_WAIT below returns at once (EAGAIN) instead
                    # of sleeping through that commit: no lost wake-up. A commit before it is
                    # seen by the read below (the writer publishes before it bumps the word).
                    word = _U32.unpack_from(self._meta, Header.NOTIFY_SEQ)[0]  # type: ignore[arg-type]
                # Copy only when the published id is newer: the frame last returned is not
                # copied again on every wake-up.
                block = self._read_status()
                if block is None or self._is_newer(self._geo.generation, block[0]):  # type: ignore[union-attr]
                    frame = self._read(copy=True)
                    if frame is not None and self._is_newer(frame.generation, frame.frame_id):
                        self._last = (frame.generation, frame.frame_id)
                        return frame  # type: ignore[return-value]
            now = _monotonic_ns()
            if deadline is not None and now >= deadline:
                return None
            remaining = math.inf if deadline is None else (deadline - now) / 1e9
            if word is not None and self._notify_address is not None:
                if _futex_wait(self._notify_address, word, min(remaining, WAIT_RECHECK_MS / 1000)):
                    continue
                self._notify_address = None  # futex refused (seccomp, ...): poll from now on
            time.sleep(min(remaining, (FRAME_POLL_MS if readable else POLL_MS) / 1000))

    def counters(self) -> Optional[Dict[str, int]]:
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

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._detach()
        except Exception:  # pragma: no cover (interpreter shutdown)
            pass

    # -- status (spec 6.1) ---------------------------------------------------------------------

    def _is_newer(self, generation: int, frame_id: int) -> bool:
        last_generation, last_id = self._last
        return generation != last_generation or frame_id > last_id

    def _invalid(self, reason: str) -> str:
        self.error = reason
        return INVALID

    def _evaluate(self) -> str:
        """Steps 1-4, 6 and 7 of spec 6.1 (step 5, 'restarted', is status()'s): the status
        without 'restarted'. Attaches, re-attaches and detaches."""
        if self._closed:
            raise ValueError('FrameReader is closed')
        self.error = None
        # 1. Path.
        try:
            st = os.lstat(self.path)
        except OSError as exc:
            self._detach()
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return NOT_PRESENT
            return self._os_error(exc)
        if not stat.S_ISDIR(st.st_mode):
            self._detach()
            if stat.S_ISLNK(st.st_mode):
                return self._invalid(f'{self.path} is a symbolic link, not the export directory')
            return self._invalid(f'{self.path} is not a directory (mode 0o{st.st_mode:o})')
        # 2. Attach, or re-attach when the path names another directory (a restart).
        if self._meta is None or (st.st_dev, st.st_ino) != self._dir_id:
            self._detach()
            failed = self._attach()
            if failed is not None:
                return failed
        geo = self._geo
        assert geo is not None and self._meta is not None
        # 3. State: one aligned 4-byte load (load_acquire on x86-64).
        state = _U32.unpack_from(self._meta, Header.STATE)[0]
        if state == WriterState.STOPPED:
            return NOT_PRESENT
        if state != WriterState.LIVE and not (state == WriterState.IDLE and geo.version >= 2):
            return self._invalid(f'unknown state {state}')
        # 4. Liveness.
        if self._writer_dead(geo):
            return WRITER_DEAD
        # 6, 7.
        return IDLE if state == WriterState.IDLE else LIVE

    def _os_error(self, exc: OSError) -> str:
        if exc.errno in (errno.EACCES, errno.EPERM):
            return self._invalid('permission denied')
        if exc.errno == errno.ELOOP:
            return self._invalid(f'{exc.filename} is a symbolic link')
        return self._invalid(f'{exc.filename}: {exc.strerror}')

    def _writer_dead(self, geo: _Geometry) -> bool:
        """The liveness rule (spec 6.3)."""
        # Rules 1-2: pid checks only in the writer's own pid namespace (elsewhere the pid names
        # another process). kill() never sees pid 0 (our process group) or a negative pid.
        if (geo.writer_pidns != 0 and geo.writer_pidns == self._own_pidns
                and 0 < geo.writer_pid <= 0x7FFFFFFF and _process_gone(geo.writer_pid)):
            return True
        now = _monotonic_ns()
        block = self._read_status()
        if block is None:
            # Rule 4: BUSY (status_seq odd for every try). A writer that died inside publish()
            # leaves it so: dead once it has lasted 2 s; until then the previous verdict stands.
            if self._busy_since is None:
                self._busy_since = now
            if now - self._busy_since > HEARTBEAT_STALE_MS * 1_000_000:
                self._heartbeat_dead = True
            return self._heartbeat_dead
        self._busy_since = None
        # Rule 3: stale heartbeat.
        self._heartbeat_dead = now - block[1] > HEARTBEAT_STALE_MS * 1_000_000
        return self._heartbeat_dead

    # -- attach (spec 1, 6.1 step 2, 7) ----------------------------------------------------------

    def _attach(self) -> Optional[str]:
        """Maps both files of <path> read-only, from one directory inode, and validates them.
        None on success, else the status to report (error set for 'invalid')."""
        fds: List[int] = []
        maps: List[mmap.mmap] = []
        try:
            dirfd = os.open(self.path, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)
            fds.append(dirfd)
            dir_st = os.fstat(dirfd)
            # Both files from the SAME directory inode (spec 1): openat(dirfd, ...). Opening
            # two paths in turn could pair the meta of one generation with the data of the next.
            for name in (META_FILE_NAME, DATA_FILE_NAME):
                fds.append(os.open(name, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=dirfd))
            meta_st, data_st = os.fstat(fds[1]), os.fstat(fds[2])
            for name, st in ((META_FILE_NAME, meta_st), (DATA_FILE_NAME, data_st)):
                if not stat.S_ISREG(st.st_mode):
                    return self._invalid(f'{name} is not a regular file (mode 0o{st.st_mode:o})')
            if meta_st.st_size < HEADER_SIZE_V1:  # checked before mapping: mmap refuses 0 bytes
                return self._invalid(f'frame.meta is {meta_st.st_size} bytes, smaller than the '
                                     f'{HEADER_SIZE_V1}-byte v1 header')
            maps.append(_map(fds[1], meta_st.st_size, META_FILE_NAME))
            geo = validate_header(maps[0], meta_st.st_size, data_st.st_size)
            maps.append(_map(fds[2], data_st.st_size, DATA_FILE_NAME))
        except InvalidExport as exc:
            return self._invalid(str(exc))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return NOT_PRESENT  # the directory is being built or removed
            return self._os_error(exc)
        finally:
            for fd in fds:
                os.close(fd)
            if len(maps) < 2:
                for m in maps:
                    m.close()
        self._meta, self._data, self._geo = maps[0], maps[1], geo
        self._dir_id = (dir_st.st_dev, dir_st.st_ino)
        self.generation = geo.generation
        self._busy_since = None
        self._heartbeat_dead = False
        self._notify_address = None
        if geo.version >= 2:
            base = _mapping_address(maps[0])
            self._notify_address = None if base is None else base + Header.NOTIFY_SEQ
        if self._known_generation is not None and geo.generation != self._known_generation:
            self._restart_pending = True
        self._known_generation = geo.generation
        return None

    def _detach(self) -> None:
        self._notify_address = None  # first: never wait on a word that is about to be unmapped
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

    def _read_status(self) -> Optional[Tuple[int, ...]]:
        """read_status(): a consistent copy of the status block, or None (BUSY) if status_seq
        was odd or moved for every one of STATUS_TRIES tries."""
        meta = self._meta
        for _ in range(STATUS_TRIES):
            s1 = _U32.unpack_from(meta, Header.STATUS_SEQ)[0]  # type: ignore[arg-type]
            if s1 & 1:
                continue  # the writer is inside publish()
            # fence_r: program order suffices on x86-64 (module docstring, point (b)).
            block = _STATUS.unpack_from(meta, Header.LATEST_FRAME_ID)  # type: ignore[arg-type]
            # fence_r
            if _U32.unpack_from(meta, Header.STATUS_SEQ)[0] == s1:  # type: ignore[arg-type]
                return block
        return None

    def _read(self, copy: bool) -> Optional[_FrameBase]:
        """read_latest(): a Frame (copy=True) or FrameView (copy=False), never a torn frame."""
        meta, data, geo = self._meta, self._data, self._geo
        assert meta is not None and data is not None and geo is not None
        for _ in range(self.READ_TRIES):
            block = self._read_status()
            if block is None:
                self.skipped += 1  # BUSY
                continue
            latest = block[0]
            if latest == 0:
                return None  # no frame yet
            index = (latest - 1) % geo.slot_count
            record = geo.header_size + index * geo.slot_meta_size
            offset = geo.data_offsets[index]  # as checked at attach
            q1 = _U32.unpack_from(meta, record + Slot.SEQ)[0]  # load_acquire (one 4-byte load)
            if q1 & 1:
                self.skipped += 1  # being written
                continue
            # fence_r: the field and data loads below come after the q1 load (x86-64: TSO).
            _seq, _index, frame_id, timestamp_ns, wallclock_ns, _offset, data_size = _SLOT.unpack_from(meta, record)
            payload = data[offset:offset + geo.frame_size] if copy else None  # one memcpy
            # fence_r: the q2 load comes after every load of the copy.
            q2 = _U32.unpack_from(meta, record + Slot.SEQ)[0]
            if q2 != q1 or frame_id != latest or data_size != geo.frame_size:
                # Overwritten while copying, lapped (the slot holds another frame), or a
                # corrupt record: discard.
                self.skipped += 1
                continue
            frame: _FrameBase
            if copy:
                frame = Frame()
                frame.data = payload  # type: ignore[assignment]
            else:
                view = FrameView()
                view.data = memoryview(data)[offset:offset + geo.frame_size]
                view._check = _slot_checker(meta, record, q1)
                frame = view
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
            frame.color_matrix = geo.color_matrix
            frame.color_range = geo.color_range
            frame.source_size = self._source_size(meta, geo)
            return frame
        return None

    @staticmethod
    def _source_size(meta: mmap.mmap, geo: _Geometry) -> Optional[Tuple[int, int]]:
        """Spec 3.1: source_width first (it is stored last), then source_height."""
        if geo.version < 2:
            return None
        width = _U32.unpack_from(meta, Header.SOURCE_WIDTH)[0]
        if width == 0:
            return None
        return width, _U32.unpack_from(meta, Header.SOURCE_HEIGHT)[0]


def _map(fd: int, size: int, name: str) -> mmap.mmap:
    """Read-only, MAP_SHARED (mmap.ACCESS_READ): we see the writer's stores, never write."""
    try:
        return mmap.mmap(fd, size, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, f'mmap {name}') from exc


def _slot_checker(meta: mmap.mmap, record: int, q1: int) -> Callable[[], bool]:
    def still_valid() -> bool:
        # Must run after the consumer's last load from the view (program order; x86-64 TSO).
        try:
            return bool(_U32.unpack_from(meta, record + Slot.SEQ)[0] == q1)
        except ValueError:
            return False  # the reader was closed: cannot prove anything, so not valid
    return still_valid


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

_MATRICES = {'bt709': COLOR_MATRIX_BT709, 'bt601': COLOR_MATRIX_BT601}
_RANGES = {'limited': COLOR_RANGE_LIMITED, 'tv': COLOR_RANGE_LIMITED, 'full': COLOR_RANGE_FULL, 'pc': COLOR_RANGE_FULL}


def _frame_line(frame: Frame, checksum: bool) -> str:
    line = (f'frame_id={frame.frame_id} timestamp_ns={frame.timestamp_ns} width={frame.width} '
            f'height={frame.height} generation={frame.generation} data_size={frame.data_size}')
    if checksum:
        line += f' checksum={fnv1a64(frame.data):016x}'
    return line


def _convert_file(args: Any) -> int:
    """--convert: one tightly packed NV12 file to rgb24 (or bgr24) bytes."""
    try:
        width, height = (int(v) for v in args.size.lower().split('x'))
    except ValueError:
        print(f'vas_frames: --size {args.size!r} is not WIDTHxHEIGHT', file=sys.stderr)
        return 2
    with open(args.convert[0], 'rb') as f:
        nv12 = f.read()
    if width <= 0 or height <= 0 or width % 2 or height % 2 or len(nv12) != width * height * 3 // 2:
        print(f'vas_frames: {args.convert[0]} is {len(nv12)} bytes, not one {width}x{height} NV12 frame '
              f'(even sizes, {width * height * 3 // 2} bytes)', file=sys.stderr)
        return 2
    rgb = nv12_to_rgb(nv12, width, height, color_matrix=_MATRICES[args.matrix], color_range=_RANGES[args.range],
                      bgr=args.bgr, use_cv2=not args.no_cv2)
    with open(args.convert[1], 'wb') as f:
        f.write(rgb.tobytes())
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog='vas_frames.py',
        description='Print the frames of a VAS frame export, one line per frame; or convert an NV12 file.')
    parser.add_argument('camera', nargs='?')
    parser.add_argument('--dir', default=None, help='export directory (default: $AI_FRAME_EXPORT_DIR or /dev/shm/vas)')
    parser.add_argument('--seconds', type=float, default=5.0, help='stop after this long (default 5)')
    parser.add_argument('--count', type=int, default=0, help='stop after this many frames (0: no limit)')
    parser.add_argument('--checksum', action='store_true',
                        help='append checksum=<FNV-1a 64 of the frame bytes> (same line as the C vas_frames_dump)')
    parser.add_argument('--latest', action='store_true', help='print the current latest frame once, then exit')
    parser.add_argument('--status', action='store_true',
                        help='print the status as JSON (u64 values as decimal strings), then exit')
    parser.add_argument('--convert', nargs=2, metavar=('IN_NV12', 'OUT_RGB'),
                        help='convert one tightly packed NV12 frame file to rgb24 bytes (spec 3.3), then exit')
    parser.add_argument('--size', help='with --convert: WIDTHxHEIGHT')
    parser.add_argument('--matrix', choices=sorted(_MATRICES), default='bt709', help='with --convert (default bt709)')
    parser.add_argument('--range', choices=sorted(_RANGES), default='limited', help='with --convert (default limited)')
    parser.add_argument('--bgr', action='store_true', help='with --convert: bgr24 instead of rgb24')
    parser.add_argument('--no-cv2', action='store_true', help='with --convert: never use OpenCV')
    args = parser.parse_args(argv)

    if args.convert:
        if not args.size:
            parser.error('--convert needs --size WIDTHxHEIGHT')
        return _convert_file(args)
    if args.camera is None:
        parser.error('a camera id is required')
    try:
        reader = FrameReader(args.camera, dir=args.dir)
    except (ValueError, UnsupportedPlatform) as exc:
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
            next_frame = reader.wait_next(timeout=min(remaining, 0.25))
            if next_frame is not None:
                print(_frame_line(next_frame, args.checksum), flush=True)
                printed += 1
        print(f'vas_frames: {printed} frames, skipped={reader.skipped}', file=sys.stderr)
        return 0 if (args.count == 0 or printed >= args.count) else 1


if __name__ == '__main__':
    sys.exit(main())
