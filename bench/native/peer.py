"""The peer: a Frigate-style capture loop, Python readinto() from the FFmpeg pipe (stdin) straight
into a shared-memory slot, standard library only. Same contract as pipe-bench.c's floor mode:
    peer.py <frame_bytes> <slots> <file>
slot (count % slots) of a MAP_SHARED tmpfs mapping; after each whole frame, the frame count (u64)
at offset 0. Frigate itself reads into a new bytes object and copies it into the slot
(frame_buffer[:] = ffmpeg_process.stdout.read(frame_size)); readinto() saves that copy."""
import fcntl
import mmap
import os
import struct
import sys

F_SETPIPE_SZ = 1031


def main() -> None:
    size, slots, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    stride = (size + 4095) & ~4095
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.ftruncate(fd, 4096 + slots * stride)
    shm = mmap.mmap(fd, 4096 + slots * stride, mmap.MAP_SHARED)
    with open("/proc/sys/fs/pipe-max-size") as f:
        fcntl.fcntl(0, F_SETPIPE_SZ, min(size, int(f.read())))
    pipe = open(0, "rb", buffering=0, closefd=False)
    view = memoryview(shm)
    frames = 0
    while True:
        slot = view[4096 + (frames % slots) * stride:][:size]
        filled = 0
        while filled < size:
            n = pipe.readinto(slot[filled:])
            if not n:
                return
            filled += n
        frames += 1
        struct.pack_into("<Q", shm, 0, frames)


main()
