import * as ffi from 'ffi-rs';
import {
  CLOCK_MONOTONIC, CLOCK_REALTIME, FUTEX_WAIT, FUTEX_WAKE, INT_MAX, LibcError, MAP_SHARED, O_CLOEXEC, PROT_READ, PROT_WRITE,
  SYS_FUTEX, setTimespec, type LibC,
} from './libc';

const LIBRARY = 'vas-frame-export-libc';
const { DataType } = ffi;
const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
/** Scratch layout: iovecs at 0, a timespec at 256, struct pollfd entries from 512. */
const SCRATCH_BYTES = 1 << 16;
const TIMESPEC_AT = 256;
const POLLFDS_AT = 512;

type Call = (params: unknown[]) => unknown;

/** One prepared ffi.load call: its params object is built once and only its values change. */
function prepared(funcName: string, retType: ffi.DataType, paramsType: ffi.DataType[]) {
  return { library: LIBRARY, funcName, retType, paramsType, paramsValue: paramsType.map(() => 0) as unknown[], freeResultMemory: false };
}

/**
 * libc through ffi-rs, the alternative backend; errno is read through __errno_location(),
 * mapped once per thread.
 *
 * The hot calls (readv, poll, clock_gettime) pass their pointer arguments as plain addresses into
 * a private native scratch page, copying the caller's few words in and out: ffi-rs converts a
 * U8Array argument at about 3 times the cost of the whole call otherwise (measured: clock_gettime
 * 10.8 us with a buffer, 3.7 us with an address), and each saved microsecond is paid on every
 * tap wake-up. Their params objects are prepared once (define() builds one per call).
 */
export class FfiRsLibC implements LibC {
  readonly backend = 'ffi-rs' as const;
  private readonly fns: Record<string, Call>;
  private readonly errnoCell: Buffer;
  private readonly pipeFds = Buffer.alloc(8);
  private readonly waitTimeout = new Int32Array(4);
  private readonly scratchAddress: number;
  private readonly scratch: Int32Array;
  private readonly readvCall = prepared('readv', DataType.I64, [DataType.I32, DataType.U64, DataType.I32]);
  private readonly pollCall = prepared('poll', DataType.I32, [DataType.U64, DataType.U64, DataType.I32]);
  private readonly clockCall = prepared('clock_gettime', DataType.I32, [DataType.I32, DataType.U64]);
  /** syscall(2) with futex(2)'s fixed integer parameters (see koffi-libc.ts for why that is sound on x86-64). */
  private readonly wakeCall = prepared('syscall', DataType.I64,
    [DataType.I64, DataType.U64, DataType.I32, DataType.I32, DataType.U64, DataType.U64, DataType.I32]);

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
      __errno_location: define(DataType.External, []),
    }) as unknown as Record<string, Call>;
    const errnoPointer = this.fns.__errno_location!([]) as ffi.JsExternal;
    this.errnoCell = ffi.createExternalBuffer(errnoPointer, 4);
    this.scratchAddress = Number(this.fns.mmap!([0, SCRATCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0]));
    if (!(this.scratchAddress > 0 && this.scratchAddress < 2 ** 53)) throw new LibcError('mmap', this.errno());
    this.scratch = new Int32Array(this.view(this.scratchAddress, SCRATCH_BYTES));
    this.readvCall.paramsValue[1] = this.scratchAddress;
    this.pollCall.paramsValue[0] = this.scratchAddress + POLLFDS_AT;
    this.clockCall.paramsValue[1] = this.scratchAddress + TIMESPEC_AT;
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
    this.clock(CLOCK_MONOTONIC, timespec);
  }

  clockRealtime(timespec: Int32Array): void {
    this.clock(CLOCK_REALTIME, timespec);
  }

  private clock(clockId: number, timespec: Int32Array): void {
    this.clockCall.paramsValue[0] = clockId;
    ffi.load(this.clockCall);
    for (let index = 0; index < 4; index++) timespec[index] = this.scratch[(TIMESPEC_AT >> 2) + index]!;
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
    if (count * 16 > TIMESPEC_AT) {
      const result = Number(this.fns.readv!([fd, this.bytesOf(iov), count]));
      return result < 0 ? -this.errno() : result;
    }
    for (let index = 0; index < count * 4; index++) this.scratch[index] = iov[index]!;
    this.readvCall.paramsValue[0] = fd;
    this.readvCall.paramsValue[2] = count;
    const result = Number(ffi.load(this.readvCall));
    return result < 0 ? -this.errno() : result;
  }

  poll(fds: Int32Array, count: number, timeoutMs: number): number {
    if (POLLFDS_AT + count * 8 > SCRATCH_BYTES) {
      const result = this.fns.poll!([this.bytesOf(fds), count, timeoutMs]) as number;
      return result < 0 ? -this.errno() : result;
    }
    const first = POLLFDS_AT >> 2;
    for (let index = 0; index < count * 2; index++) this.scratch[first + index] = fds[index]!;
    this.pollCall.paramsValue[1] = count;
    this.pollCall.paramsValue[2] = timeoutMs;
    const result = ffi.load(this.pollCall) as number;
    for (let index = 0; index < count * 2; index++) fds[index] = this.scratch[first + index]!;
    return result < 0 ? -this.errno() : result;
  }

  futexWake(address: number): number {
    const params = this.wakeCall.paramsValue;
    params[0] = SYS_FUTEX;
    params[1] = address;
    params[2] = FUTEX_WAKE;
    params[3] = INT_MAX;
    const result = Number(ffi.load(this.wakeCall));
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
