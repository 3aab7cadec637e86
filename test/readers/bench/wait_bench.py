"""Waiting for frames, futex against polling: wake-ups per delivered frame and commit ->
reader-has-frame latency (CLOCK_MONOTONIC when the reader holds its copy, minus the slot's
timestamp_ns, taken by the writer just before it commits), for the Python and C readers, each
against its own Python fake writer (make_fake_export.py serve) at 30 fps. A measurement, not a
test: it prints a table (medians over the rounds) and asserts nothing.

    /usr/bin/python3 test/readers/bench/wait_bench.py [--seconds 15] [--rounds 2] [--size 640x360]

Variants (run one after the other, interleaved round by round):
  py-futex      vas_frames.FrameReader.wait_next: FUTEX_WAIT on notify_seq
  py-poll-5ms   the same reader with FUTEX_WAIT refused: polls every FRAME_POLL_MS, as on a
                version 1 export
  py-v1-poll    the version 1 reader's wait_next (test/readers/legacy-v1): 1 ms sleeps backing
                off to 5 ms
  c-futex       vas_frames_wait_next
  c-poll-1ms    vas_frames_read_latest and a 1 ms sleep while nothing is newer (the version 1
                example program's loop)

wake-ups: voluntary context switches of the reader process (getrusage ru_nvcsw), i.e. how often
it blocked and was woken; for Python also the loop's FUTEX_WAIT and sleep calls.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
READERS = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(READERS))
FAKE = os.path.join(READERS, 'make_fake_export.py')
VARIANTS = ('py-futex', 'py-poll-5ms', 'py-v1-poll', 'c-futex', 'c-poll-1ms')


class _CountingTime:
    """The time module, with sleep() counted."""

    def __init__(self) -> None:
        self.sleeps = 0

    def __getattr__(self, name):
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        time.sleep(seconds)


def python_reader(variant: str, directory: str, camera: str, seconds: float) -> None:
    """Runs in the reader subprocess: one line per frame (latency ns), then a summary."""
    if variant == 'py-v1-poll':
        spec = importlib.util.spec_from_file_location('vas_frames_v1', os.path.join(READERS, 'legacy-v1', 'vas_frames.py'))
    else:
        spec = importlib.util.spec_from_file_location('vas_frames', os.path.join(ROOT, 'src', 'reader', 'python', 'vas_frames.py'))
    vf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vf)
    clock = _CountingTime()
    vf.time = clock
    futex_calls = [0]
    if variant != 'py-v1-poll':
        real_wait = vf._futex_wait

        def counted_wait(address, expected, timeout):
            futex_calls[0] += 1
            return variant == 'py-futex' and real_wait(address, expected, timeout)
        vf._futex_wait = counted_wait
    reader = vf.FrameReader(camera, dir=directory)
    before = resource.getrusage(resource.RUSAGE_SELF)
    end = time.monotonic() + seconds
    frames = 0
    lines = []
    while True:
        remaining = end - time.monotonic()
        if remaining <= 0:
            break
        frame = reader.wait_next(timeout=remaining)
        if frame is None:
            continue
        lines.append(time.clock_gettime_ns(time.CLOCK_MONOTONIC) - frame.timestamp_ns)
        frames += 1
    after = resource.getrusage(resource.RUSAGE_SELF)
    for ns in lines:
        print(ns)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(f'summary frames={frames} wakeups={after.ru_nvcsw - before.ru_nvcsw} cpu_s={cpu:.4f} '
          f'loops={futex_calls[0] + clock.sleeps}')


def run_variant(variant: str, c_bench: str, seconds: float, size: str, work: str, round_index: int) -> dict:
    camera = f'bench-{variant}-{round_index}'  # a killed writer leaves its export behind
    width, height = size.split('x')
    writer = subprocess.Popen([sys.executable, FAKE, 'serve', '--dir', work, '--camera', camera, '--fps', '30',
                               '--seconds', str(seconds + 3), '--width', width, '--height', height],
                              stdout=subprocess.PIPE, text=True)
    try:
        writer.stdout.readline()  # the export exists
        if variant.startswith('c-'):
            cmd = [c_bench, work, camera, str(seconds), 'futex' if variant == 'c-futex' else 'poll1ms']
        else:
            cmd = [sys.executable, __file__, '--reader', variant, '--dir', work, '--camera', camera,
                   '--seconds', str(seconds)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    summary = dict(kv.split('=') for kv in out[-1].split()[1:])
    latencies = sorted(int(line) / 1000 for line in out[:-1])
    frames = int(summary['frames'])
    return {
        'frames': frames,
        'wakeups_per_frame': int(summary['wakeups']) / frames,
        'loops_per_frame': int(summary['loops']) / frames if 'loops' in summary else None,
        'p50_us': latencies[len(latencies) // 2],
        'p99_us': latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        'max_us': latencies[-1],
        'cpu_ms_per_s': float(summary['cpu_s']) * 1000 / seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=15.0)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--size', default='640x360')
    parser.add_argument('--json', action='store_true')
    parser.add_argument('--reader', choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument('--dir', help=argparse.SUPPRESS)
    parser.add_argument('--camera', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reader:
        python_reader(args.reader, args.dir, args.camera, args.seconds)
        return 0

    work = tempfile.mkdtemp(prefix='vas-wait-bench-', dir='/dev/shm' if os.path.isdir('/dev/shm') else None)
    try:
        c_bench = os.path.join(work, 'wait_bench')
        subprocess.run(['gcc', '-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', '-I', os.path.join(ROOT, 'src', 'reader', 'c'),
                        '-o', c_bench, os.path.join(HERE, 'wait_bench.c')], check=True)
        results = {v: [] for v in VARIANTS}
        for round_index in range(args.rounds):
            for variant in VARIANTS:
                results[variant].append(run_variant(variant, c_bench, args.seconds, args.size, work, round_index))
                print(f'round {round_index + 1} {variant}: {results[variant][-1]}', file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, True)

    def median(variant: str, key: str):
        values = [r[key] for r in results[variant] if r[key] is not None]
        return statistics.median(values) if values else None

    table = {v: {k: median(v, k) for k in results[v][0]} for v in VARIANTS}
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    print(f'{args.size} NV12 at 30 fps, {args.seconds:g} s per run, median of {args.rounds} rounds; '
          f'load average {os.getloadavg()[0]:.2f}')
    print(f'{"variant":<12} {"frames":>6} {"wake/frame":>10} {"loops/frame":>11} {"p50 us":>8} {"p99 us":>8} '
          f'{"max us":>8} {"cpu ms/s":>8}')
    for v, row in table.items():
        loops = '-' if row['loops_per_frame'] is None else f'{row["loops_per_frame"]:.2f}'
        print(f'{v:<12} {row["frames"]:>6.0f} {row["wakeups_per_frame"]:>10.2f} {loops:>11} {row["p50_us"]:>8.0f} '
              f'{row["p99_us"]:>8.0f} {row["max_us"]:>8.0f} {row["cpu_ms_per_s"]:>8.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
