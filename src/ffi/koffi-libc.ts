import koffi from 'koffi';
import {
  CLOCK_MONOTONIC, CLOCK_REALTIME, FUTEX_WAIT, FUTEX_WAKE, INT_MAX, LibcError, MAP_SHARED, O_CLOEXEC, PROT_READ, PROT_WRITE,
  SYS_FUTEX, setTimespec, type LibC,
} from './libc';

/** libc through koffi. Pointer parameters that receive addresses are declared uintptr_t. */
export class KoffiLibC implements LibC {
  readonly backend = 'koffi' as const;
  private readonly lib = koffi.load('libc.so.6');
  private readonly mmapFn = this.lib.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)');
  private readonly munmapFn = this.lib.func('int munmap(uintptr_t addr, size_t len)');
  private readonly fallocateFn = this.lib.func('int posix_fallocate(int fd, int64_t off, int64_t len)');
  private readonly clockFn = this.lib.func('int clock_gettime(int clk, void *ts)');
  private readonly pipeFn = this.lib.func('int pipe2(void *fds, int flags)');
  private readonly fcntlFn = this.lib.func('int fcntl(int fd, int cmd, int arg)');
  private readonly readvFn = this.lib.func('intptr_t readv(int fd, void *iov, int iovcnt)');
  private readonly pollFn = this.lib.func('int poll(void *fds, unsigned long n, int timeout)');
  /*
   * syscall(2) is variadic; it is declared here with the fixed integer parameters of futex(2).
   * On x86-64 SysV integer arguments travel in the same registers either way, and glibc's
   * syscall() never reads %al (the vector-register count of a variadic call). A fixed
   * prototype is what lets the per-frame wake run without allocating.
   */
  private readonly futexFn = this.lib.func('long syscall(long nr, uintptr_t addr, int op, int val, void *timeout, uintptr_t addr2, int val3)');
  private readonly pipeFds = new Int32Array(2);
  /** struct timespec {i64 tv_sec; i64 tv_nsec} for the synchronous wait. */
  private readonly waitTimeout = new Int32Array(4);

  mmapShared(fd: number, length: number, writable: boolean): number {
    const prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
    const address = Number(this.mmapFn(0, length, prot, MAP_SHARED, fd, 0));
    if (!(address > 0 && address < 2 ** 53)) throw new LibcError('mmap', koffi.errno());
    return address;
  }

  munmap(address: number, length: number): void {
    if (this.munmapFn(address, length) !== 0) throw new LibcError('munmap', koffi.errno());
  }

  view(address: number, length: number): ArrayBuffer {
    return koffi.view(address, length);
  }

  posixFallocate(fd: number, length: number): number {
    return this.fallocateFn(fd, 0, length) as number;
  }

  clockMonotonic(timespec: Int32Array): void {
    this.clockFn(CLOCK_MONOTONIC, timespec);
  }

  clockRealtime(timespec: Int32Array): void {
    this.clockFn(CLOCK_REALTIME, timespec);
  }

  pipe(): [number, number] {
    if (this.pipeFn(this.pipeFds, O_CLOEXEC) !== 0) throw new LibcError('pipe2', koffi.errno());
    return [this.pipeFds[0]!, this.pipeFds[1]!];
  }

  fcntl(fd: number, cmd: number, arg: number): number {
    const result = this.fcntlFn(fd, cmd, arg) as number;
    return result < 0 ? -koffi.errno() : result;
  }

  readv(fd: number, iov: Int32Array, count: number): number {
    const result = this.readvFn(fd, iov, count) as number;
    return result < 0 ? -koffi.errno() : result;
  }

  poll(fds: Int32Array, count: number, timeoutMs: number): number {
    const result = this.pollFn(fds, count, timeoutMs) as number;
    return result < 0 ? -koffi.errno() : result;
  }

  futexWake(address: number): number {
    const result = this.futexFn(SYS_FUTEX, address, FUTEX_WAKE, INT_MAX, null, 0, 0) as number;
    return result < 0 ? -koffi.errno() : result;
  }

  futexWait(address: number, expected: number, timeoutMs: number): number {
    setTimespec(this.waitTimeout, timeoutMs);
    const result = this.futexFn(SYS_FUTEX, address, FUTEX_WAIT, expected | 0, this.waitTimeout, 0, 0) as number;
    return result < 0 ? -koffi.errno() : result;
  }

  futexWaitAsync(address: number, expected: number, timeoutMs: number): Promise<void> {
    // Its own timespec: several waits may be in flight on koffi's async threads at once.
    const timeout = setTimespec(new Int32Array(4), timeoutMs);
    return new Promise((resolve, reject) => {
      this.futexFn.async(SYS_FUTEX, address, FUTEX_WAIT, expected | 0, timeout, 0, 0, (error: unknown) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve();
      });
    });
  }
}

