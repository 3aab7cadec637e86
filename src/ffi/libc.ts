/**
 * The few libc calls Node does not offer, behind one small interface with two implementations
 * (koffi, the default, and ffi-rs). Both pass test/contract/libc.contract.test.ts.
 *
 * Hot-path calls (read, poll, clock reads) take numbers and preallocated typed arrays only, so
 * an implementation can make them without allocating on the JS heap. Addresses are plain
 * numbers: user-space addresses on x86-64 and arm64 fit in 48 bits, well inside 2^53.
 */
export interface LibC {
  readonly backend: 'koffi' | 'ffi-rs';
  /** mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0); throws with errno on failure. */
  mmapShared(fd: number, length: number, writable: boolean): number;
  munmap(address: number, length: number): void;
  /** A JS view of mapped memory (no copy). Valid until munmap. */
  view(address: number, length: number): ArrayBuffer;
  /** posix_fallocate(fd, 0, length): 0 on success, else the errno value. */
  posixFallocate(fd: number, length: number): number;
  /** clock_gettime(CLOCK_MONOTONIC) into `timespec` as [sec_lo, sec_hi, nsec_lo, nsec_hi]. */
  clockMonotonic(timespec: Int32Array): void;
  /** clock_gettime(CLOCK_REALTIME), same shape. */
  clockRealtime(timespec: Int32Array): void;
  /** pipe2(fds, O_CLOEXEC): [readFd, writeFd]; throws with errno on failure. */
  pipe(): [number, number];
  /** fcntl(fd, cmd, arg): result or -errno. */
  fcntl(fd: number, cmd: number, arg: number): number;
  /**
   * readv(fd, iov, count) with `iov` a preallocated array of struct iovec viewed as Int32
   * quadruples [base_lo, base_hi, len_lo, len_hi]: bytes read, 0 at end of file, or -errno.
   * The hot path's read: no address crosses as a JS number, so nothing is boxed per call.
   */
  readv(fd: number, iov: Int32Array, count: number): number;
  /** poll(fds, count, timeoutMs) on an array of struct pollfd viewed as Int32 pairs; count or -errno. */
  poll(fds: Int32Array, count: number, timeoutMs: number): number;
  /**
   * futex(address, FUTEX_WAKE, INT_MAX) on a shared mapping (no FUTEX_PRIVATE_FLAG): woken
   * count or -errno. Never blocks; the writer's per-frame call, so it allocates nothing.
   */
  futexWake(address: number): number;
  /**
   * futex(address, FUTEX_WAIT, expected, timeoutMs) on the calling thread: 0 when woken, or
   * -errno (EAGAIN: the word was no longer `expected`; ETIMEDOUT; EINTR). Blocks the thread.
   */
  futexWait(address: number, expected: number, timeoutMs: number): number;
  /** The same wait on a native thread of the binding's pool; the caller's thread stays free. */
  futexWaitAsync(address: number, expected: number, timeoutMs: number): Promise<void>;
}

export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x01;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const F_SETPIPE_SZ = 1031;
export const F_GETPIPE_SZ = 1032;
export const POLLIN = 0x001;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const EAGAIN = 11;
export const ETIMEDOUT = 110;
/** x86-64 syscall number of futex(2); the plugin and the TypeScript reader run on x86-64 only. */
export const SYS_FUTEX = 202;
export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const INT_MAX = 0x7fffffff;
export const EINTR = 4;
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;

/** A relative timeout of `ms` milliseconds as struct timespec viewed as Int32 pairs. */
export function setTimespec(timespec: Int32Array, ms: number): Int32Array {
  const clamped = Math.max(0, Math.min(ms, 2 ** 31 - 1));
  timespec[0] = Math.floor(clamped / 1000);
  timespec[1] = 0;
  timespec[2] = Math.floor((clamped % 1000) * 1e6);
  timespec[3] = 0;
  return timespec;
}

export class LibcError extends Error {
  constructor(readonly call: string, readonly errno: number) {
    super(`${call} failed: errno ${errno}`);
  }
}
