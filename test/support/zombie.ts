import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A zombie: a child that exited and that its parent (a sleeping Python process) never reaps.
 * The parent waits for the child's exit without reaping it (waitid WNOWAIT) before it prints the
 * pid: a pid printed right after fork may still be running, and a running writer is alive.
 * Kill `parent` when done; the zombie goes with it.
 */
export function zombieProcess(): Promise<{ parent: ChildProcess; pid: number }> {
  const parent = spawn('/usr/bin/python3', ['-c', [
    'import os, time',
    'pid = os.fork()',
    'if pid == 0:',
    '    os._exit(0)',
    'os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)',
    'print(pid, flush=True)',
    'time.sleep(120)',
  ].join('\n')]);
  return new Promise((resolve, reject) => {
    parent.stdout!.once('data', (chunk: Buffer) => resolve({ parent, pid: Number(chunk.toString().trim()) }));
    parent.once('error', reject);
  });
}
