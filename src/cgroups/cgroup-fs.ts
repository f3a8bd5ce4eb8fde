// Where a container's cgroup lives, on cgroup v1 (one hierarchy per controller)
// or v2 (one unified tree), and the small reads everything else builds on.
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

type CgroupVersion = 1 | 2;

type FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';

export class CgroupFs {
  readonly version: CgroupVersion;

  constructor(readonly root = '/sys/fs/cgroup') {
    this.version = existsSync(path.join(root, 'cgroup.controllers')) ? 2 : 1;
  }

  /** The directory of `controller` for a cgroup path such as /kata/sandbox/ctr. */
  dir(controller: string, cgroupPath: string): string {
    const rel = normalise(cgroupPath);
    return this.version === 2
      ? path.join(this.root, rel)
      : path.join(this.root, controllerMount(this.root, controller), rel);
  }

  /** Every directory of a cgroup path that exists (one per v1 hierarchy, or the v2 one). */
  existingDirs(cgroupPath: string): string[] {
    if (this.version === 2) {
      const d = this.dir('', cgroupPath);
      return existsSync(d) ? [d] : [];
    }
    const dirs: string[] = [];
    for (const entry of safeReaddir(this.root)) {
      const d = path.join(this.root, entry, normalise(cgroupPath));
      if (existsSync(path.join(d, 'cgroup.procs'))) dirs.push(d);
    }
    return dirs;
  }

  /** Pids in the cgroup and its descendants, in the agent's PID namespace. */
  async pids(cgroupPath: string): Promise<number[]> {
    const top = this.dir(this.version === 2 ? '' : 'pids', cgroupPath);
    const start = existsSync(top) ? top : this.dir('memory', cgroupPath);
    const out: number[] = [];
    await collectPids(start, out);
    return out;
  }

  async freezerState(cgroupPath: string): Promise<FreezerState> {
    if (this.version === 1) {
      return (await readTrimmed(path.join(this.dir('freezer', cgroupPath), 'freezer.state'))) as FreezerState;
    }
    const events = await readKeyValues(path.join(this.dir('', cgroupPath), 'cgroup.events'));
    if (events.frozen === 1n) return 'FROZEN';
    const wanted = await readTrimmed(path.join(this.dir('', cgroupPath), 'cgroup.freeze'));
    return wanted === '1' ? 'FREEZING' : 'THAWED';
  }

  /**
   * Removes empty parent cgroups the runtime created for `cgroupPath`, from the
   * deepest up to (and including) `stopAt` (e.g. /kata/<sandbox>). Busy ones stay.
   */
  removeEmptyParents(cgroupPath: string, stopAt: string): void {
    const target = normalise(stopAt);
    let rel = path.posix.dirname(normalise(cgroupPath));
    const tops =
      this.version === 2 ? [this.root] : safeReaddir(this.root).map((e) => path.join(this.root, e));
    while (rel.startsWith(target) && rel !== '/' && rel !== '.') {
      for (const top of tops) {
        try {
          rmdirSync(path.join(top, rel));
        } catch {
          // Missing or still in use: leave it.
        }
      }
      if (rel === target) break;
      rel = path.posix.dirname(rel);
    }
  }
}

function normalise(cgroupPath: string): string {
  return path.posix.normalize('/' + cgroupPath);
}

// cpu and cpuacct are often co-mounted (cpu,cpuacct); follow whatever directory holds it.
function controllerMount(root: string, controller: string): string {
  if (existsSync(path.join(root, controller))) return controller;
  const combined = safeReaddir(root).find((e) => e.split(',').includes(controller));
  return combined ?? controller;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function collectPids(dir: string, out: number[]): Promise<void> {
  const text = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const line of text.split('\n')) if (line) out.push(Number(line));
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await collectPids(path.join(dir, e.name), out);
}

async function readTrimmed(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}

/** A number file, exact; "max" (v2) reads as 0, a missing file as undefined. */
export async function readNumber(file: string): Promise<bigint | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const t = text.trim();
  return t === 'max' ? 0n : counter(t);
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * A kernel counter as the uint64 the proto carries, exactly: an unlimited
 * memory limit is 9223372036854771712, not the nearest double. Text that is
 * not a number reads as 0; negative values (never expected) as 0.
 */
export function counter(text: string): bigint {
  if (!/^-?\d+$/.test(text)) return 0n;
  const v = BigInt(text);
  return v < 0n ? 0n : v > U64_MAX ? U64_MAX : v;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, ...). */
export async function readKeyValues(file: string): Promise<Record<string, bigint>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return parseKeyValues(text);
}

export function parseKeyValues(text: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = counter(v);
  }
  return out;
}
