// The guest's online CPUs, as container cpusets are fitted to them
// (../common/cpu-list.ts parses and fits the lists).
import { readFileSync } from 'node:fs';
import { SystemPaths } from '../common/system-paths';

export function onlineCpus(sysRoot: string): string {
  return readFileSync(new SystemPaths(sysRoot).onlineCpus, 'utf8').trim();
}
