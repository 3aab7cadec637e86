import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EAGAIN, ETIMEDOUT, F_GETFL, F_GETPIPE_SZ, F_SETFL, F_SETPIPE_SZ, O_NONBLOCK, POLLIN, type LibC } from '../../src/ffi/libc';
import { loadLibC } from '../../src/ffi/load-libc';
import { FrameReader } from '../../src/reader/frame-reader';

/** One contract, both backends: everything the writer, the tap and the readers rely on. */
for (const backend of ['koffi', 'ffi-rs'] as const) {
  describe(`libc contract: ${backend}`, () => {
    let libc: LibC;
    let dir: string;

    before(() => {
      libc = loadLibC(backend);
      dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'vas-libc-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('names itself', () => {
      expect(libc.backend).to.equal(backend);
    });

    it('is loaded once per thread: a process opening reader after reader maps nothing new each time', () => {
      // A new binding per reader cost ffi-rs about 1.4 MB of address space each (measured: 200 new
      // FfiRsLibC, VmSize +270 MB), never given back; 200 readers now add about 2.5 MB (heap).
      const vmSizeKb = () => Number(/VmSize:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
      const before = vmSizeKb();
      const readers = Array.from({ length: 200 }, () => FrameReader.open('nobody-here', { dir, ffi: backend }));
      for (const reader of readers) reader.close();
      expect(loadLibC(backend)).to.equal(libc);
      expect(vmSizeKb() - before, 'VmSize growth (KiB) for 200 readers').to.be.below(32 * 1024);
    });

    it('reserves space with posix_fallocate and maps a file shared, read-write', () => {
      const file = path.join(dir, 'rw');
      const fd = fs.openSync(file, 'w+');
      expect(libc.posixFallocate(fd, 8192)).to.equal(0);
      expect(fs.fstatSync(fd).size).to.equal(8192);
      const address = libc.mmapShared(fd, 8192, true);
      const view = new Uint8Array(libc.view(address, 8192));
      expect(view.byteLength).to.equal(8192);
      view[4100] = 0xab;
      const check = Buffer.alloc(1);
      fs.readSync(fd, check, 0, 1, 4100);
      expect(check[0]).to.equal(0xab);
      fs.writeSync(fd, Buffer.from([0xcd]), 0, 1, 7);
      expect(view[7]).to.equal(0xcd);
      const i32 = new Int32Array(libc.view(address, 8192));
      Atomics.store(i32, 10, 12345);
      expect(Atomics.load(i32, 10)).to.equal(12345);
      libc.munmap(address, 8192);
      fs.closeSync(fd);
    });

    it('maps read-only and reports mmap failure with errno', () => {
      const file = path.join(dir, 'ro');
      fs.writeFileSync(file, Buffer.alloc(4096, 7));
      const fd = fs.openSync(file, 'r');
      const address = libc.mmapShared(fd, 4096, false);
      expect(new Uint8Array(libc.view(address, 4096))[100]).to.equal(7);
      libc.munmap(address, 4096);
      expect(() => libc.mmapShared(fd, 4096, true)).to.throw(/mmap failed: errno 13/); // EACCES: O_RDONLY fd
      fs.closeSync(fd);
      expect(() => libc.mmapShared(9999, 4096, false)).to.throw(/mmap failed: errno 9/); // EBADF
    });

    it('reads CLOCK_MONOTONIC and CLOCK_REALTIME into a timespec', () => {
      const ts = new Int32Array(4);
      const before = process.hrtime.bigint();
      libc.clockMonotonic(ts);
      const after = process.hrtime.bigint();
      const ns = (BigInt(ts[1]! >>> 0) << 32n | BigInt(ts[0]! >>> 0)) * 1_000_000_000n + BigInt(ts[2]! >>> 0);
      expect(ns >= before - 1_000_000n && ns <= after + 1_000_000n, `${before} <= ${ns} <= ${after}`).to.equal(true);
      libc.clockRealtime(ts);
      const realMs = ((ts[0]! >>> 0) + (ts[1]! >>> 0) * 4294967296) * 1000 + (ts[2]! >>> 0) / 1e6;
      expect(Math.abs(realMs - Date.now())).to.be.lessThan(5000);
    });

    it('creates pipes, reads into raw addresses with readv, polls, and reports EAGAIN', () => {
      const [readFd, writeFd] = libc.pipe();
      const file = path.join(dir, 'io');
      const fd = fs.openSync(file, 'w+');
      libc.posixFallocate(fd, 4096);
      const address = libc.mmapShared(fd, 4096, true);
      const view = new Uint8Array(libc.view(address, 4096));
      const iovAt = (target: number, length: number) =>
        new Int32Array([target % 4294967296 | 0, (target / 4294967296) | 0, length, 0]);
      const pollFds = new Int32Array([readFd, POLLIN]);
      expect(libc.poll(pollFds, 1, 0)).to.equal(0);
      fs.writeSync(writeFd, Uint8Array.from([1, 2, 3, 4, 5]));
      expect(libc.poll(pollFds, 1, 1000)).to.equal(1);
      expect((pollFds[1]! >>> 16) & POLLIN).to.equal(POLLIN);
      expect(libc.readv(readFd, iovAt(address + 100, 3), 1)).to.equal(3);
      expect(libc.readv(readFd, iovAt(address + 103, 100), 1), 'a partial read returns what is there').to.equal(2);
      expect([...view.subarray(100, 106)]).to.deep.equal([1, 2, 3, 4, 5, 0]);
      expect(libc.fcntl(readFd, F_SETFL, libc.fcntl(readFd, F_GETFL, 0) | O_NONBLOCK)).to.equal(0);
      expect(libc.readv(readFd, iovAt(address, 10), 1)).to.equal(-EAGAIN);
      expect(libc.fcntl(readFd, F_SETPIPE_SZ, 1 << 20)).to.be.at.least(1 << 20);
      expect(libc.fcntl(readFd, F_GETPIPE_SZ, 0)).to.be.at.least(1 << 20);
      fs.closeSync(writeFd);
      expect(libc.readv(readFd, iovAt(address, 10), 1), 'end of file').to.equal(0);
      fs.closeSync(readFd);
      expect(libc.readv(readFd, iovAt(address, 10), 1)).to.equal(-9); // EBADF
      libc.munmap(address, 4096);
      fs.closeSync(fd);
    });

    it('futex: a wait on a read-only mapping is woken through a read-write mapping of the same file', async () => {
      const file = path.join(dir, 'futex');
      const fd = fs.openSync(file, 'w+');
      libc.posixFallocate(fd, 4096);
      const writer = libc.mmapShared(fd, 4096, true);
      const readFd = fs.openSync(file, 'r');
      const reader = libc.mmapShared(readFd, 4096, false);
      const word = new Int32Array(libc.view(writer, 4096));
      const wordAt = 128;
      Atomics.store(word, wordAt / 4, 7);
      expect(libc.futexWake(writer + wordAt), 'no waiter: nobody woken').to.equal(0);
      expect(libc.futexWait(reader + wordAt, 8, 1000), 'value already changed').to.equal(-EAGAIN);
      expect(libc.futexWait(reader + wordAt, 7, 20), 'nobody wakes it').to.equal(-ETIMEDOUT);
      let woken = false;
      const waiting = libc.futexWaitAsync(reader + wordAt, 7, 10_000).then(() => {
        woken = true;
      });
      // Wake until the waiter is really asleep in the kernel (it may not be yet on the first call).
      let count = 0;
      for (let attempt = 0; attempt < 500 && count === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        Atomics.add(word, wordAt / 4, 1);
        count = libc.futexWake(writer + wordAt);
      }
      await waiting;
      expect(woken).to.equal(true);
      expect(count, 'the wake reached the read-only mapping\'s waiter').to.equal(1);
      libc.munmap(reader, 4096);
      libc.munmap(writer, 4096);
      fs.closeSync(readFd);
      fs.closeSync(fd);
    });
  });
}
