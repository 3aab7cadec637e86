/**
 * CPU time of single threads, in nanoseconds, from clock_gettime(2).
 *
 * threadCpuNs(): CLOCK_THREAD_CPUTIME_ID of the calling thread (user + system time, updated to
 * the instant of the call, unlike /proc/.../schedstat which lags by up to a tick for a running
 * thread). taskCpuNs(tid): the per-thread CPU clock of another thread of this process
 * (clockid = MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED), as pthread_getcpuclockid builds it),
 * the same sum_exec_runtime /proc/self/task/<tid>/schedstat shows, read exactly.
 */
import * as fs from 'node:fs';
import type koffiModule from 'koffi';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const koffi = { load: (name: string) => (require('koffi') as typeof koffiModule).load(name) };

type ClockGettime = (clock: number, ts: Int32Array) => number;
let clockGettime: ClockGettime | null = null;
const timespec = new Int32Array(4);
const CLOCK_MONOTONIC = 1;
const CLOCK_THREAD_CPUTIME_ID = 3;

function read(clock: number): number {
  // koffi is loaded on first use only: the memory item's export-off host must not load it.
  clockGettime ??= koffi.load('libc.so.6').func('int clock_gettime(int clk, void *ts)') as ClockGettime;
  if (clockGettime(clock, timespec) !== 0) throw new Error(`clock_gettime(${clock}) failed`);
  return timespec[0]! * 1e9 + (timespec[2]! >>> 0);
}

export function threadCpuNs(): number {
  return read(CLOCK_THREAD_CPUTIME_ID);
}

export function taskCpuNs(tid: number): number {
  // CPUCLOCK_PERTHREAD_MASK (4) | CPUCLOCK_SCHED (2), tid in the upper bits, inverted.
  return read(((~tid) << 3) | 6);
}

export function monotonicNs(): number {
  return read(CLOCK_MONOTONIC);
}

/** Thread ids of this process, now. */
export function taskIds(): number[] {
  return fs.readdirSync('/proc/self/task').map(Number).sort((a, b) => a - b);
}

/** Pid-wide CPU (all threads) in ns, from process.cpuUsage(). */
export function processCpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}

/** Resident set of this process in bytes, with its anonymous/file/shmem parts (/proc/self/status). */
export function rssBreakdown(pid: number | 'self' = 'self'): { rss: number; anon: number; file: number; shmem: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return match === null ? 0 : Number(match[1]) * 1024;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}

/** read(2)-family syscalls made so far by thread `tid` of this process (/proc task io: syscr). */
export function taskReadSyscalls(tid: number): number {
  const match = /^syscr:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/task/${tid}/io`, 'utf8'));
  return match === null ? NaN : Number(match[1]);
}
