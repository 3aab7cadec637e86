/**
 * The status and liveness rules of an export (format spec section 6), in one place. The
 * TypeScript FrameReader, the vas-frames CLI (ls, watch, clean) and the writer's stale cleanup
 * all decide with these functions; the Python and C readers implement the same rules and the
 * conformance suite holds them to it.
 */
import * as fs from 'node:fs';
import { HEARTBEAT_STALE_MS, WriterState } from '../layout/frame-export-layout';
import type { ExportHeader, ExportStatusBlock } from '../meta/meta-decoder';

/** What a reader reports (spec 6). */
export type ExportStatus = 'live' | 'idle' | 'restarted' | 'not-present' | 'writer-dead' | 'invalid';

/** Step 3 of spec 6.1: what `state` alone decides. null: go on with liveness. */
export function statusOfState(state: number): { status: 'not-present' | 'invalid'; reason: string | null } | null {
  if (state === WriterState.LIVE || state === WriterState.IDLE) return null;
  if (state === WriterState.STOPPED) return { status: 'not-present', reason: null };
  return { status: 'invalid', reason: `unknown state ${state} (expected LIVE 1, STOPPED 2 or IDLE 3)` };
}

/** The writer identity fields liveness needs. */
export type WriterFields = Pick<ExportHeader, 'writerPid' | 'writerPidns'>;

/**
 * Spec 6.3. Why the writer is dead, or null if it is judged alive. `status` null means BUSY
 * (status_seq odd in every try); `busyForMs` is for how long BUSY has lasted without a break
 * (0 for a one-shot inspection, which then never judges dead on BUSY alone).
 */
export function writerDeathReason(writer: WriterFields, status: ExportStatusBlock | null, nowNs: bigint, busyForMs: number): string | null {
  const { writerPid, writerPidns } = writer;
  if (writerPidns !== 0 && writerPidns === ownPidNamespace() && writerPid > 0) {
    const process = processState(writerPid);
    if (process === 'gone') return `writer pid ${writerPid} is not running`;
    if (process === 'zombie') return `writer pid ${writerPid} has exited (a zombie not yet reaped)`;
  }
  if (status !== null) {
    const ageMs = Number(nowNs - status.heartbeatNs) / 1e6;
    if (ageMs > HEARTBEAT_STALE_MS) return `the writer's heartbeat is ${(ageMs / 1000).toFixed(1)} s old (limit ${HEARTBEAT_STALE_MS / 1000} s)`;
    return null;
  }
  if (busyForMs > HEARTBEAT_STALE_MS) return `the writer left its status update unfinished for ${(busyForMs / 1000).toFixed(1)} s`;
  return null;
}

/** CLOCK_MONOTONIC in ns (the clock of heartbeat_ns and timestamp_ns). Allocates: not for the writer. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

let cachedPidNamespace: number | undefined;

/** Inode of this process's /proc/self/ns/pid; 0 if unknown. */
export function ownPidNamespace(): number {
  if (cachedPidNamespace === undefined) {
    try {
      cachedPidNamespace = fs.statSync('/proc/self/ns/pid').ino;
    } catch {
      cachedPidNamespace = 0;
    }
  }
  return cachedPidNamespace;
}

/**
 * A pid of this pid namespace: running, a zombie (exited, not reaped: kill(pid, 0) still
 * succeeds on it), or gone. EPERM means it exists. Never signals pid 0 or a negative pid.
 */
export function processState(pid: number): 'running' | 'zombie' | 'gone' {
  if (!Number.isInteger(pid) || pid <= 0) return 'gone';
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // Gone between the two looks; or /proc unreadable: the heartbeat rule judges it.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'running';
  }
  // The state is the first non-blank character after the command's closing parenthesis.
  const state = stat.slice(stat.lastIndexOf(')') + 1).trimStart().charAt(0);
  return state === 'Z' || state === 'X' ? 'zombie' : 'running';
}

/** True if the process runs in this pid namespace (a zombie counts as exited). */
export function processRuns(pid: number): boolean {
  return processState(pid) === 'running';
}
