// What /proc says about a process: its open fds, its children (zombies
// included) and its resident memory. Leak checks compare these before and after.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Targets of the process's open fds ("socket:[123]", "/dev/null", "pipe:[9]", ...). */
export function openFds(pid: number | 'self' = 'self'): string[] {
  const dir = `/proc/${pid}/fd`;
  const out: string[] = [];
  for (const fd of readdirSync(dir)) {
    try {
      out.push(readlinkSync(`${dir}/${fd}`));
    } catch {
      // Closed between the listing and the readlink (e.g. the listing's own fd).
    }
  }
  return out.sort();
}

/** Direct children of every thread of the process, zombies included. */
export function childPids(pid: number | 'self' = 'self'): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    } catch {
      // The thread ended while we looked.
    }
  }
  return pids.sort((a, b) => a - b);
}

/** Process state letter (R, S, Z, ...), or undefined when it is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Children that have exited and were never reaped. */
export function zombieChildren(pid: number | 'self' = 'self'): number[] {
  return childPids(pid).filter((c) => processState(c) === 'Z');
}

/** Resident set size, its peak and its anonymous part (heap, stacks), in KiB. */
export function memoryKb(pid: number | 'self' = 'self'): { rss: number; peak: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), peak: field('VmHWM'), anon: field('RssAnon') };
}

const SOCKET_TABLES: [file: string, label: string, inodeColumn: number][] = [
  ['unix', 'unix', 6],
  ['netlink', 'netlink', 9],
  ['tcp', 'tcp', 9],
  ['tcp6', 'tcp6', 9],
  ['udp', 'udp', 9],
  ['udp6', 'udp6', 9],
];

/** Fd targets with sockets named by kind ("socket:[12] unix /path", "socket:[13] netlink proto 0"). */
export function describeFds(pid: number, targets: readonly string[]): string[] {
  const kinds = new Map<string, string>();
  for (const [file, label, column] of SOCKET_TABLES) {
    let rows: string[];
    try {
      rows = readFileSync(`/proc/${pid}/net/${file}`, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      const extra = label === 'unix' ? (cols[7] ?? '') : label === 'netlink' ? `proto ${cols[1]}` : '';
      if (cols[column]) kinds.set(cols[column], `${label} ${extra}`.trim());
    }
  }
  return targets.map((t) => {
    const inode = /^socket:\[(\d+)\]$/.exec(t)?.[1];
    return inode && kinds.has(inode) ? `${t} ${kinds.get(inode)}` : t;
  });
}
