// StatsContainer on cgroup v2: the unified files mapped onto the same proto
// fields the v1 reader fills (microseconds become nanoseconds, io.stat's
// rbytes/wbytes become Read/Write entries).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlkioStatsEntry, CgroupStats, HugetlbStats } from '../generated/agent';
import { readKeyValues, readNumber, counter, type CgroupFs } from './cgroup-fs';
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
        total_usage: (cpu.usage_usec ?? 0n) * 1000n,
        percpu_usage: [],
        usage_in_kernelmode: (cpu.system_usec ?? 0n) * 1000n,
        usage_in_usermode: (cpu.user_usec ?? 0n) * 1000n,
      },
      throttling_data: {
        periods: cpu.nr_periods ?? 0n,
        throttled_periods: cpu.nr_throttled ?? 0n,
        throttled_time: (cpu.throttled_usec ?? 0n) * 1000n,
      },
    },
    memory_stats: {
      cache: memStat.file ?? 0n,
      usage: { usage: memCurrent ?? 0n, max_usage: 0n, failcnt: memEvents.max ?? 0n, limit: memMax ?? 0n },
      swap_usage: { usage: swapCurrent ?? 0n, max_usage: 0n, failcnt: 0n, limit: swapMax ?? 0n },
      kernel_usage: { usage: memStat.kernel_stack ?? 0n, max_usage: 0n, failcnt: 0n, limit: 0n },
      use_hierarchy: true,
      stats: memStat,
    },
    pids_stats: { current: pidsCurrent ?? 0n, limit: pidsMax ?? 0n },
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
    const major = BigInt(m[1]);
    const minor = BigInt(m[2]);
    const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, counter(v ?? '')]));
    bytes.push(
      { major, minor, op: 'Read', value: kv.rbytes ?? 0n },
      { major, minor, op: 'Write', value: kv.wbytes ?? 0n },
    );
    ios.push(
      { major, minor, op: 'Read', value: kv.rios ?? 0n },
      { major, minor, op: 'Write', value: kv.wios ?? 0n },
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
    out[size] = { usage, max_usage: 0n, failcnt: events.max ?? 0n };
  }
  return out;
}
