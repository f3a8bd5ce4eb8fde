// The machine a benchmark ran on, for the report: numbers mean little without it.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  /** 1-minute load average when the run started: the machine may be shared. */
  loadAverage: number;
  ociRuntimes: string[];
}

function firstLine(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(
      '\n',
    )[0];
  } catch {
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  let kernel = os.release();
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // os.release() is good enough.
  }
  const runtimes = ['crun', 'runc']
    .map((r) => firstLine(r, ['--version']))
    .filter((v): v is string => v !== undefined);
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel,
    node: process.version,
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
    ociRuntimes: runtimes,
  };
}
