// StatsContainer: the container's cgroup statistics (v1 or v2) and the traffic
// counters of the guest's network interfaces (all containers share the VM's
// network namespace, so these are sandbox-wide, as in 1.x's design).
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { NetworkStats, StatsContainerResponse } from '../generated/agent';
import { counter, type CgroupFs } from './cgroup-fs';
import { statsV1 } from './stats-v1';
import { statsV2 } from './stats-v2';
import { SystemPaths } from '../common/system-paths';

export async function containerStats(
  fs: CgroupFs,
  cgroupPath: string,
  sysRoot: string,
): Promise<StatsContainerResponse> {
  const sizes = hugePageSizes(sysRoot);
  const [cgroup_stats, network_stats] = await Promise.all([
    fs.version === 2 ? statsV2(fs, cgroupPath, sizes) : statsV1(fs, cgroupPath, sizes),
    networkStats(sysRoot),
  ]);
  return { cgroup_stats, network_stats };
}

/** hugepages-2048kB → "2MB", the names the hugetlb controller files use. */
function hugePageSizes(sysRoot: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(new SystemPaths(sysRoot).hugepagesDir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const m = /^hugepages-(\d+)kB$/.exec(e);
    if (m) out.push(pageSizeName(Number(m[1]) * 1024));
  }
  return out;
}

export function pageSizeName(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1024 && bytes % 1024 === 0 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes}${units[i]}`;
}

/** /proc/net/dev of the agent's (the guest's) network namespace, loopback left out. */
async function networkStats(sysRoot: string): Promise<NetworkStats[]> {
  const text = await readFile(new SystemPaths(sysRoot).netDev, 'utf8').catch(() => '');
  return parseNetDev(text);
}

export function parseNetDev(text: string): NetworkStats[] {
  const out: NetworkStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(counter);
    if (f.length < 12) continue;
    out.push({
      name,
      rx_bytes: f[0],
      rx_packets: f[1],
      rx_errors: f[2],
      rx_dropped: f[3],
      tx_bytes: f[8],
      tx_packets: f[9],
      tx_errors: f[10],
      tx_dropped: f[11],
    });
  }
  return out;
}
