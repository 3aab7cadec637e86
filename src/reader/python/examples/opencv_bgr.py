"""Frames for OpenCV: BGR images of one camera, one JPEG snapshot per second of new frames.

    python3 opencv_bgr.py <camera_id> [--dir /dev/shm/vas] [--out snapshots] [--count N]

Needs numpy and OpenCV (pip install "vas-frames[opencv]", or Debian's python3-opencv).
to_bgr() converts with the matrix and range the export records (BT.709 for the VAS tap by
default); it hands the work to cv2.cvtColor only where OpenCV computes the same thing
(BT.601 limited range), and to numpy otherwise.
"""
import argparse
import os
import time

import cv2
import numpy

from vas_frames import FrameReader


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('camera')
    parser.add_argument('--dir', default=None, help='export dir (default: $AI_FRAME_EXPORT_DIR or /dev/shm/vas)')
    parser.add_argument('--out', default='snapshots')
    parser.add_argument('--count', type=int, default=0, help='stop after this many frames (0: never)')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    bgr = None
    last_snapshot = 0.0
    seen = 0
    with FrameReader(args.camera, dir=args.dir) as reader:
        while not args.count or seen < args.count:
            frame = reader.wait_next(timeout=2.0)
            if frame is None:
                print(f'no frame: {reader.status()} {reader.error or ""}', flush=True)
                continue
            if bgr is None or bgr.shape[:2] != (frame.height, frame.width):
                bgr = numpy.empty((frame.height, frame.width, 3), dtype=numpy.uint8)
            frame.to_bgr(out=bgr)                       # reuses one buffer: no allocation per frame
            # ... run the model on `bgr` here ...
            if time.monotonic() - last_snapshot >= 1.0:
                path = os.path.join(args.out, f'{args.camera}-{frame.frame_id}.jpg')
                cv2.imwrite(path, bgr)
                print(f'frame {frame.frame_id} -> {path}', flush=True)
                last_snapshot = time.monotonic()
            seen += 1
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
