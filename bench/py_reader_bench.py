"""Item 5, Python side: CPU per verified copy of the latest frame with vas_frames.FrameReader
.latest(), against one plain copy of the same number of bytes in this process (bytes() of a
bytearray: one allocation and one memcpy, what the reader's mmap slice does too).

Run by bench/reader-cost.ts while its process keeps the export live:
    /usr/bin/python3 py_reader_bench.py '<json params>'
Prints one JSON object. CPU is time.process_time_ns() (user + system of this process).
"""
import json
import sys
import time


def main():
    params = json.loads(sys.argv[1])
    sys.path.insert(0, params['reader_dir'])
    import vas_frames  # noqa: E402 (path set above)

    with open(params['expected'], 'rb') as f:
        expected = f.read()
    reader = vas_frames.FrameReader(params['camera'], dir=params['dir'])
    frame = reader.latest()
    if frame is None:
        raise SystemExit(f'no frame: status {reader.status()} {reader.error}')
    if bytes(frame.data) != expected:
        raise SystemExit('the frame read differs from the frame written')

    source = bytearray(expected)
    view = memoryview(source)
    calls = params['calls']

    def read_sample():
        start = time.process_time_ns()
        for _ in range(calls):
            got = reader.latest()
            if got is None:
                raise SystemExit(f'latest() returned None: {reader.status()}')
        return (time.process_time_ns() - start) / calls

    def copy_sample():
        start = time.process_time_ns()
        for _ in range(calls):
            copy = bytes(view)
            if len(copy) != len(source):
                raise SystemExit('short copy')
        return (time.process_time_ns() - start) / calls

    read_sample()
    copy_sample()
    reads, copies = [], []
    for rep in range(params['reps']):
        if rep % 2 == 0:
            reads.append(read_sample())
            copies.append(copy_sample())
        else:
            copies.append(copy_sample())
            reads.append(read_sample())
    last = reader.latest()
    verified = last is not None and last.data == expected
    print(json.dumps({
        'reader_ns': reads, 'copy_ns': copies, 'verified': verified, 'skipped': reader.skipped,
        'python': sys.version.split()[0],
    }))


if __name__ == '__main__':
    main()
