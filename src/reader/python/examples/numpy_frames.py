"""Frames as numpy arrays: the mean brightness of each new frame of one camera.

    python3 numpy_frames.py <camera_id> [--dir /dev/shm/vas] [--count N]

Needs numpy (pip install "vas-frames[numpy]", or Debian's python3-numpy).
"""
import argparse

from vas_frames import FrameReader


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('camera')
    parser.add_argument('--dir', default=None, help='export dir (default: $AI_FRAME_EXPORT_DIR or /dev/shm/vas)')
    parser.add_argument('--count', type=int, default=0, help='stop after this many frames (0: never)')
    args = parser.parse_args()

    seen = 0
    with FrameReader(args.camera, dir=args.dir) as reader:
        while not args.count or seen < args.count:
            frame = reader.wait_next(timeout=2.0)       # sleeps until the next commit, no polling
            if frame is None:
                print(f'no frame: {reader.status()} {reader.error or ""}', flush=True)
                continue
            y, uv = frame.planes()                      # views of the NV12 copy: (h, w), (h/2, w/2, 2)
            rgb = frame.to_rgb()                        # (h, w, 3) uint8, the export's own colour matrix
            print(f'frame {frame.frame_id}: {frame.width}x{frame.height} mean Y {y.mean():.1f} '
                  f'mean RGB {rgb.reshape(-1, 3).mean(axis=0).round(1).tolist()} source {frame.source_size}',
                  flush=True)
            seen += 1
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
