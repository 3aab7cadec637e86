import * as ffi from 'ffi-rs';
import {
  CLOCK_MONOTONIC, CLOCK_REALTIME, FUTEX_WAIT, FUTEX_WAKE, INT_MAX, LibcError, MAP_SHARED, O_CLOEXEC, PROT_READ, PROT_WRITE,
  SYS_FUTEX, setTimespec, type LibC,
} from './libc';

const LIBRARY = 'vas-frame-export-libc';
const { DataType } = ffi;

type Call = (params: unknown[]) => unknown;

/**
 * libc through ffi-rs, the alternative backend. ffi-rs takes its arguments as an array, so each
 * call allocates that array; errno is read through __errno_location(), mapped once per thread.
 */
export class FfiRsLibC implements LibC {
  readonly backend = 'ffi-rs' as const;
  private readonly fns: Record<string, Call>;
  private readonly errnoCell: Buffer;
  private readonly pipeFds = Buffer.alloc(8);
  private readonly waitTimeout = new Int32Array(4);

  constructor() {
    ffi.open({ library: LIBRARY, path: 'libc.so.6' });
    const define = (retType: ffi.DataType, paramsType: ffi.DataType[]) => ({ library: LIBRARY, retType, paramsType });
    const I32 = DataType.I32;
    const I64 = DataType.I64;
    const U64 = DataType.U64;
    const BUF = DataType.U8Array;
    this.fns = ffi.define({
      mmap: define(U64, [U64, U64, I32, I32, I32, I64]),
      munmap: define(I32, [U64, U64]),
      posix_fallocate: define(I32, [I32, I64, I64]),
      clock_gettime: define(I32, [I32, BUF]),
      pipe2: define(I32, [BUF, I32]),
      fcntl: define(I32, [I32, I32, I32]),
      readv: define(I64, [I32, BUF, I32]),
      poll: define(I32, [BUF, U64, I32]),
      // syscall(2) with futex(2)'s fixed integer parameters (see koffi-libc.ts for why that is sound on x86-64)
      syscall: define(I64, [I64, U64, I32, I32, U64, U64, I32]),
      __errno_location: define(DataType.External, []),
    }) as unknown as Record<string, Call>;
    const errnoPointer = this.fns.__errno_location!([]) as ffi.JsExternal;
    this.errnoCell = ffi.createExternalBuffer(errnoPointer, 4);
  }

  private errno(): number {
    return this.errnoCell.readInt32LE(0);
  }

  mmapShared(fd: number, length: number, writable: boolean): number {
    const prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
    const address = Number(this.fns.mmap!([0, length, prot, MAP_SHARED, fd, 0]));
    if (!(address > 0 && address < 2 ** 53)) throw new LibcError('mmap', this.errno());
    return address;
  }

  munmap(address: number, length: number): void {
    if (this.fns.munmap!([address, length]) !== 0) throw new LibcError('munmap', this.errno());
  }

  view(address: number, length: number): ArrayBuffer {
    // A pointer-sized cell holding the address, dereferenced once: an External for `address`.
    const cell = ffi.createPointer({ paramsType: [DataType.U64], paramsValue: [address] });
    const external = ffi.unwrapPointer(cell)[0]!;
    const buffer = ffi.createExternalBuffer(external, length);
    if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== length) {
      throw new Error('ffi-rs returned a copied buffer; shared memory needs a zero-copy view');
    }
    return buffer.buffer as ArrayBuffer;
  }

  posixFallocate(fd: number, length: number): number {
    return this.fns.posix_fallocate!([fd, 0, length]) as number;
  }

  private bytesOf(array: Int32Array): Buffer {
    return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  }

  clockMonotonic(timespec: Int32Array): void {
    this.fns.clock_gettime!([CLOCK_MONOTONIC, this.bytesOf(timespec)]);
  }

  clockRealtime(timespec: Int32Array): void {
    this.fns.clock_gettime!([CLOCK_REALTIME, this.bytesOf(timespec)]);
  }

  pipe(): [number, number] {
    if (this.fns.pipe2!([this.pipeFds, O_CLOEXEC]) !== 0) throw new LibcError('pipe2', this.errno());
    return [this.pipeFds.readInt32LE(0), this.pipeFds.readInt32LE(4)];
  }

  fcntl(fd: number, cmd: number, arg: number): number {
    const result = this.fns.fcntl!([fd, cmd, arg]) as number;
    return result < 0 ? -this.errno() : result;
  }

  readv(fd: number, iov: Int32Array, count: number): number {
    const result = Number(this.fns.readv!([fd, this.bytesOf(iov), count]));
    return result < 0 ? -this.errno() : result;
  }

  poll(fds: Int32Array, count: number, timeoutMs: number): number {
    const result = this.fns.poll!([this.bytesOf(fds), count, timeoutMs]) as number;
    return result < 0 ? -this.errno() : result;
  }

  futexWake(address: number): number {
    const result = Number(this.fns.syscall!([SYS_FUTEX, address, FUTEX_WAKE, INT_MAX, 0, 0, 0]));
    return result < 0 ? -this.errno() : result;
  }

  futexWait(address: number, expected: number, timeoutMs: number): number {
    const result = Number(ffi.load(this.futexWaitCall(address, expected, setTimespec(this.waitTimeout, timeoutMs), false)));
    return result < 0 ? -this.errno() : result;
  }

  async futexWaitAsync(address: number, expected: number, timeoutMs: number): Promise<void> {
    await ffi.load(this.futexWaitCall(address, expected, setTimespec(new Int32Array(4), timeoutMs), true));
  }

  /** futex(FUTEX_WAIT) as an ffi-rs call; the timespec travels as a byte array (a pointer). */
  private futexWaitCall<R extends boolean>(address: number, expected: number, timeout: Int32Array, runInNewThread: R) {
    return {
      library: LIBRARY, funcName: 'syscall', retType: DataType.I64,
      paramsType: [DataType.I64, DataType.U64, DataType.I32, DataType.I32, DataType.U8Array, DataType.U64, DataType.I32],
      paramsValue: [SYS_FUTEX, address, FUTEX_WAIT, expected | 0, this.bytesOf(timeout), 0, 0],
      runInNewThread,
    };
  }
}
