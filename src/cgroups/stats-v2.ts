// StatsContainer on cgroup v2: the unified files mapped onto the same proto
// fields the v1 reader fills (microseconds become nanoseconds, io.stat's
// rbytes/wbytes become Read/Write entries).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlkioStatsEntry, CgroupStats, HugetlbStats } from '../generated/agent';
import { readKeyValues, readNumber, safeNumber, type CgroupFs } from './cgroup-fs';
import { bytesAndIosOnly } from './stats-v1';

export async function statsV2(
  fs: CgroupFs,
  cgroupPath: string,
  hugePageSizes: string[],
): Promise<CgroupStats> {
  const dir = fs.dir('', cgroupPath);
  const [cpu, memStat, memCurrent, memMax, memEvents, swapCurrent, swapMax, pidsCurrent, pidsMax, io] =
    await Promise.all([
      readKeyValues(path.join(dir, 'cpu.stat')),
      readKeyValues(path.join(dir, 'memory.stat')),
      readNumber(path.join(dir, 'memory.current')),
      readNumber(path.join(dir, 'memory.max')),
      readKeyValues(path.join(dir, 'memory.events')),
      readNumber(path.join(dir, 'memory.swap.current')),
      readNumber(path.join(dir, 'memory.swap.max')),
      readNumber(path.join(dir, 'pids.current')),
      readNumber(path.join(dir, 'pids.max')),
      readFile(path.join(dir, 'io.stat'), 'utf8').catch(() => ''),
    ]);
  const { bytes, ios } = parseIoStat(io);
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: (cpu.usage_usec ?? 0) * 1000,
        percpu_usage: [],
        usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000,
        usage_in_usermode: (cpu.user_usec ?? 0) * 1000,
      },
      throttling_data: {
        periods: cpu.nr_periods ?? 0,
        throttled_periods: cpu.nr_throttled ?? 0,
        throttled_time: (cpu.throttled_usec ?? 0) * 1000,
      },
    },
    memory_stats: {
      cache: memStat.file ?? 0,
      usage: { usage: memCurrent ?? 0, max_usage: 0, failcnt: memEvents.max ?? 0, limit: memMax ?? 0 },
      swap_usage: { usage: swapCurrent ?? 0, max_usage: 0, failcnt: 0, limit: swapMax ?? 0 },
      kernel_usage: { usage: memStat.kernel_stack ?? 0, max_usage: 0, failcnt: 0, limit: 0 },
      use_hierarchy: true,
      stats: memStat,
    },
    pids_stats: { current: pidsCurrent ?? 0, limit: pidsMax ?? 0 },
    blkio_stats: bytesAndIosOnly(bytes, ios),
    hugetlb_stats: await hugetlbV2(dir, hugePageSizes),
  };
}

/** "MAJ:MIN rbytes=1 wbytes=2 rios=3 wios=4 ..." lines. */
export function parseIoStat(text: string): { bytes: BlkioStatsEntry[]; ios: BlkioStatsEntry[] } {
  const bytes: BlkioStatsEntry[] = [];
  const ios: BlkioStatsEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, safeNumber(v)]));
    bytes.push(
      { major, minor, op: 'Read', value: kv.rbytes ?? 0 },
      { major, minor, op: 'Write', value: kv.wbytes ?? 0 },
    );
    ios.push(
      { major, minor, op: 'Read', value: kv.rios ?? 0 },
      { major, minor, op: 'Write', value: kv.wios ?? 0 },
    );
  }
  return { bytes, ios };
}

async function hugetlbV2(dir: string, sizes: string[]): Promise<Record<string, HugetlbStats>> {
  const out: Record<string, HugetlbStats> = {};
  for (const size of sizes) {
    const usage = await readNumber(path.join(dir, `hugetlb.${size}.current`));
    if (usage === undefined) continue;
    const events = await readKeyValues(path.join(dir, `hugetlb.${size}.events`));
    out[size] = { usage, max_usage: 0, failcnt: events.max ?? 0 };
  }
  return out;
}
