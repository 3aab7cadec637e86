/** What the numbers were measured on. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface MachineInfo {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly cpuMHz: number | null;
  readonly memoryGiB: number;
  readonly node: string;
  readonly v8: string;
  readonly kernel: string;
  readonly os: string;
  readonly python: string | null;
  readonly pipeMaxSize: number | null;
  readonly loadAverageAtStart: readonly number[];
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function describeMachine(): MachineInfo {
  const cpuinfo = read('/proc/cpuinfo') ?? '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = /^cpu MHz\s*:\s*([\d.]+)$/m.exec(cpuinfo)?.[1];
  const osRelease = read('/etc/os-release');
  let python: string | null = null;
  try {
    python = execFileSync('/usr/bin/python3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    python = null;
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel: model,
    cpuMHz: mhz === undefined ? null : Number(mhz),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    kernel: `${os.type()} ${os.release()}`,
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease ?? '')?.[1] ?? 'unknown',
    python,
    pipeMaxSize: Number(read('/proc/sys/fs/pipe-max-size')?.trim() ?? NaN) || null,
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
