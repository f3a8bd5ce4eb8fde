// The guest's online CPUs, as container cpusets are fitted to them
// (../common/cpu-list.ts parses and fits the lists).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function onlineCpus(sysRoot: string): string {
  return readFileSync(path.join(sysRoot || '/', 'sys/devices/system/cpu/online'), 'utf8').trim();
}
