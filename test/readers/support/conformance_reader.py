"""Conformance: the Python reader's view of an export, as the JSON every reader prints.

Usage: /usr/bin/python3 conformance_reader.py <reader_dir> <export_dir> <camera> [--no-numpy]
With --no-numpy, numpy is made unimportable first; array() must then fail clearly.
"""
import json
import os
import sys

reader_dir, export_dir, camera = sys.argv[1:4]
if '--no-numpy' in sys.argv:
    sys.modules['numpy'] = None  # import numpy now raises ImportError
sys.path.insert(0, reader_dir)
import vas_frames  # noqa: E402

with vas_frames.FrameReader(camera, dir=export_dir) as reader:
    frame = reader.latest()
    counters = reader.counters()
    if frame is None or counters is None:
        print(f'no frame: status {reader.status()} {reader.error}', file=sys.stderr)
        sys.exit(1)
    path = os.path.join(export_dir, camera)
    with open(os.path.join(path, 'frame.meta'), 'rb') as f:
        meta_bytes = f.read()
    geo = vas_frames.validate_header(meta_bytes, len(meta_bytes), os.path.getsize(os.path.join(path, 'frame.data')))
    if '--no-numpy' in sys.argv:
        try:
            frame.array()
            array_check = 'array() worked without numpy'
        except Exception as exc:  # the reader's own clear error
            array_check = 'numpy-missing' if 'numpy' in str(exc) else f'unexpected error: {exc}'
    else:
        array = frame.array()
        ok = array.shape == (frame.height * 3 // 2, frame.width) and array.tobytes() == frame.data
        array_check = 'array-matches-data' if ok else f'array mismatch: shape {array.shape}'
    print(json.dumps({
        'version': geo.version, 'header_size': geo.header_size, 'slot_meta_size': geo.slot_meta_size,
        'slot_count': geo.slot_count, 'slot_stride': geo.slot_stride, 'pixel_format': frame.pixel_format,
        'width': geo.width, 'height': geo.height, 'y_stride': geo.y_stride, 'uv_stride': geo.uv_stride,
        'uv_offset': geo.uv_offset, 'frame_size': geo.frame_size, 'writer_pid': geo.writer_pid,
        'writer_pidns': str(geo.writer_pidns), 'generation': str(reader.generation),
        'created_realtime_ns': str(geo.created_realtime_ns), 'heartbeat_interval_ms': geo.heartbeat_interval_ms,
        'latest_frame_id': str(counters['latest_frame_id']), 'frames_written': str(counters['frames_written']),
        'dropped_size_mismatch': str(counters['dropped_size_mismatch']),
        'dropped_truncated': str(counters['dropped_truncated']),
        'frame_id': str(frame.frame_id), 'timestamp_ns': str(frame.timestamp_ns), 'wallclock_ns': str(frame.wallclock_ns),
        'frame_width': frame.width, 'frame_height': frame.height, 'strides': list(frame.strides),
        'frame_uv_offset': frame.uv_offset, 'data_size': frame.data_size, 'slot': frame.slot,
        'frame_generation': str(frame.generation),
        'color_matrix': frame.color_matrix, 'color_range': frame.color_range,
        'source_width': frame.source_size[0] if frame.source_size else 0,
        'source_height': frame.source_size[1] if frame.source_size else 0,
        'data_fnv1a64': f'{vas_frames.fnv1a64(frame.data):016x}', 'data_hex': frame.data.hex(),
        'array_check': array_check,
    }))
