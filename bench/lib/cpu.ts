/**
 * CPU clocks and kernel counters, read without disturbing what is measured.
 *
 * threadCpuNs(): CLOCK_THREAD_CPUTIME_ID of the calling thread. processCpuNs(pid): the
 * process-wide CPU clock of another process (clockid MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED),
 * as clock_getcpuclockid builds it): user + system time of all its threads, live and exited,
 * exact to the nanosecond (the same sum_exec_runtime /proc/<pid>/schedstat shows per thread).
 */
import * as fs from 'node:fs';
import type koffiModule from 'koffi';

type ClockGettime = (clock: number, ts: Int32Array) => number;
let clockGettime: ClockGettime | null = null;
const timespec = new Int32Array(4);
const CLOCK_THREAD_CPUTIME_ID = 3;

function read(clock: number): number {
  // koffi is loaded on first use only: the memory item's export-off host must not load it.
  clockGettime ??= (require('koffi') as typeof koffiModule).load('libc.so.6').func('int clock_gettime(int clk, void *ts)') as ClockGettime;
  if (clockGettime(clock, timespec) !== 0) throw new Error(`clock_gettime(${clock}) failed`);
  return timespec[0]! * 1e9 + (timespec[2]! >>> 0);
}

export function threadCpuNs(): number {
  return read(CLOCK_THREAD_CPUTIME_ID);
}

export function processCpuNs(pid: number): number {
  return read(((~pid) << 3) | 2);
}

/**
 * read(2)-family syscalls of the whole process (/proc/<pid>/io syscr: read, readv, pread...)
 * and the times its threads went to sleep (voluntary context switches, summed over its threads).
 */
export function procCounters(pid: number): { reads: number; sleeps: number } {
  const reads = Number(/^syscr:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
  let sleeps = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      sleeps += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the thread exited meanwhile
    }
  }
  return { reads, sleeps };
}

/** Resident set of a process in bytes, with its anonymous/file/shmem parts (/proc/<pid>/status). */
export function rssBreakdown(pid: number | 'self' = 'self'): { rss: number; anon: number; file: number; shmem: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}
