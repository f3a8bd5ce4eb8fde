// StatsContainer on cgroup v1: cpu/cpuacct, memory, pids, blkio and hugetlb files
// of the container's cgroup, in the shapes libcontainer reported them to 1.x.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlkioStats, BlkioStatsEntry, CgroupStats, HugetlbStats, MemoryData } from '../generated/agent';
import { readKeyValues, readNumber, counter, type CgroupFs } from './cgroup-fs';

// cpuacct.stat counts USER_HZ ticks; Linux fixes USER_HZ at 100 for user space.
const NANOS_PER_TICK = 1_000_000_000n / 100n;

export async function statsV1(
  fs: CgroupFs,
  cgroupPath: string,
  hugePageSizes: string[],
): Promise<CgroupStats> {
  const [cpu, memory, pids, blkio, hugetlb] = await Promise.all([
    cpuStats(fs.dir('cpuacct', cgroupPath), fs.dir('cpu', cgroupPath)),
    memoryStats(fs.dir('memory', cgroupPath)),
    pidsStats(fs.dir('pids', cgroupPath)),
    blkioStats(fs.dir('blkio', cgroupPath)),
    hugetlbStats(fs.dir('hugetlb', cgroupPath), hugePageSizes),
  ]);
  return {
    cpu_stats: cpu,
    memory_stats: memory,
    pids_stats: pids,
    blkio_stats: blkio,
    hugetlb_stats: hugetlb,
  };
}

async function cpuStats(cpuacct: string, cpu: string): Promise<CgroupStats['cpu_stats']> {
  const [total, perCpu, ticks, throttling] = await Promise.all([
    readNumber(path.join(cpuacct, 'cpuacct.usage')),
    readFile(path.join(cpuacct, 'cpuacct.usage_percpu'), 'utf8').catch(() => ''),
    readKeyValues(path.join(cpuacct, 'cpuacct.stat')),
    readKeyValues(path.join(cpu, 'cpu.stat')),
  ]);
  return {
    cpu_usage: {
      total_usage: total ?? 0n,
      percpu_usage: perCpu.trim() ? perCpu.trim().split(/\s+/).map(counter) : [],
      usage_in_kernelmode: (ticks.system ?? 0n) * NANOS_PER_TICK,
      usage_in_usermode: (ticks.user ?? 0n) * NANOS_PER_TICK,
    },
    throttling_data: {
      periods: throttling.nr_periods ?? 0n,
      throttled_periods: throttling.nr_throttled ?? 0n,
      throttled_time: throttling.throttled_time ?? 0n,
    },
  };
}

async function memoryData(dir: string, prefix: string): Promise<MemoryData> {
  const file = (name: string): string =>
    path.join(dir, prefix ? `memory.${prefix}.${name}` : `memory.${name}`);
  const [usage, max, failcnt, limit] = await Promise.all([
    readNumber(file('usage_in_bytes')),
    readNumber(file('max_usage_in_bytes')),
    readNumber(file('failcnt')),
    readNumber(file('limit_in_bytes')),
  ]);
  return { usage: usage ?? 0n, max_usage: max ?? 0n, failcnt: failcnt ?? 0n, limit: limit ?? 0n };
}

async function memoryStats(dir: string): Promise<CgroupStats['memory_stats']> {
  const [stats, usage, swap, kernel, hierarchy] = await Promise.all([
    readKeyValues(path.join(dir, 'memory.stat')),
    memoryData(dir, ''),
    memoryData(dir, 'memsw'),
    memoryData(dir, 'kmem'),
    readNumber(path.join(dir, 'memory.use_hierarchy')),
  ]);
  return {
    cache: stats.cache ?? 0n,
    usage,
    swap_usage: swap,
    kernel_usage: kernel,
    use_hierarchy: hierarchy === 1n,
    stats,
  };
}

async function pidsStats(dir: string): Promise<CgroupStats['pids_stats']> {
  const [current, limit] = await Promise.all([
    readNumber(path.join(dir, 'pids.current')),
    readNumber(path.join(dir, 'pids.max')),
  ]);
  return { current: current ?? 0n, limit: limit ?? 0n };
}

/** Lines "MAJ:MIN Op value" (or "MAJ:MIN value"); "Total" lines are skipped. */
export function parseBlkio(text: string): BlkioStatsEntry[] {
  const out: BlkioStatsEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev) continue;
    const [op, value] = f.length >= 3 ? [f[1], f[2]] : ['', f[1]];
    out.push({ major: BigInt(dev[1]), minor: BigInt(dev[2]), op, value: counter(value) });
  }
  return out;
}

async function blkioStats(dir: string): Promise<BlkioStats> {
  const read = (name: string): Promise<BlkioStatsEntry[]> =>
    readFile(path.join(dir, `blkio.${name}`), 'utf8').then(parseBlkio, () => []);
  // The CFQ files exist only with that scheduler; the throttle ones always.
  const cfq = await read('io_service_bytes_recursive');
  if (cfq.length) {
    const [serviced, queued, serviceTime, waitTime, merged, time, sectors] = await Promise.all(
      [
        'io_serviced_recursive',
        'io_queued_recursive',
        'io_service_time_recursive',
        'io_wait_time_recursive',
        'io_merged_recursive',
        'time_recursive',
        'sectors_recursive',
      ].map(read),
    );
    return {
      io_service_bytes_recursive: cfq,
      io_serviced_recursive: serviced,
      io_queued_recursive: queued,
      io_service_time_recursive: serviceTime,
      io_wait_time_recursive: waitTime,
      io_merged_recursive: merged,
      io_time_recursive: time,
      sectors_recursive: sectors,
    };
  }
  const [bytes, ios] = await Promise.all([read('throttle.io_service_bytes'), read('throttle.io_serviced')]);
  return bytesAndIosOnly(bytes, ios);
}

/** Block I/O stats where only bytes and operations are known (v1 throttle files, v2 io.stat). */
export function bytesAndIosOnly(bytes: BlkioStatsEntry[], ios: BlkioStatsEntry[]): BlkioStats {
  return {
    io_service_bytes_recursive: bytes,
    io_serviced_recursive: ios,
    io_queued_recursive: [],
    io_service_time_recursive: [],
    io_wait_time_recursive: [],
    io_merged_recursive: [],
    io_time_recursive: [],
    sectors_recursive: [],
  };
}

async function hugetlbStats(dir: string, sizes: string[]): Promise<Record<string, HugetlbStats>> {
  const out: Record<string, HugetlbStats> = {};
  for (const size of sizes) {
    const [usage, max, failcnt] = await Promise.all([
      readNumber(path.join(dir, `hugetlb.${size}.usage_in_bytes`)),
      readNumber(path.join(dir, `hugetlb.${size}.max_usage_in_bytes`)),
      readNumber(path.join(dir, `hugetlb.${size}.failcnt`)),
    ]);
    if (usage === undefined) continue;
    out[size] = { usage, max_usage: max ?? 0n, failcnt: failcnt ?? 0n };
  }
  return out;
}
