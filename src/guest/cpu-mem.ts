// OnlineCPUMem: bring hot-plugged CPUs and memory blocks online, then let the
// containers use the new CPUs. Hot-plugged CPUs show up in sysfs a little after
// the host adds them, so CPUs are retried for a while; memory blocks are onlined
// in one pass (and as their uevents arrive, see autoOnlineMemory).
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DeviceRegistry } from '../devices/registry';
import type { Logger } from '../logging/logger';
import { CpusetWidener, type CpusetTarget } from './cpuset';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { Mutex } from '../common/mutex';
import { readdirStrict, readOptionalAttribute, writeAttribute } from './sysfs-io';

export interface CpuOnlineTiming {
  /** Rounds of looking for offline CPUs (1.x: 100). */
  rounds: number;
  /** Pause between rounds (1.x: 100 ms). */
  intervalMs: number;
}

export const DEFAULT_CPU_ONLINE_TIMING: CpuOnlineTiming = { rounds: 100, intervalMs: 100 };

export class CpuMemOnliner {
  private readonly lock = new Mutex();
  private readonly cpusets: CpusetWidener;

  constructor(
    private readonly paths: SystemPaths,
    /** Cgroups of the running containers, whose cpusets widen to the new CPUs. */
    private readonly containerCgroups: () => readonly CpusetTarget[],
    private readonly log: Logger,
    private readonly timing: CpuOnlineTiming = DEFAULT_CPU_ONLINE_TIMING,
  ) {
    this.cpusets = new CpusetWidener(paths);
  }

  /** One request at a time: two concurrent calls would count the same CPUs twice. */
  online(nbCpus: number, cpuOnly: boolean): Promise<void> {
    return this.lock.run(() => this.onlineNow(nbCpus, cpuOnly));
  }

  private async onlineNow(nbCpus: number, cpuOnly: boolean): Promise<void> {
    if (cpuOnly && nbCpus <= 0)
      throw new Error(`requested number of CPUs '${nbCpus}' must be greater than 0`);
    if (nbCpus > 0) await this.onlineCpus(nbCpus);
    if (!cpuOnly) await this.onlineMemory();
    await this.cpusets.widen(this.containerCgroups());
  }

  private async onlineCpus(wanted: number): Promise<void> {
    let onlined = 0;
    for (let round = 0; round < this.timing.rounds; round++) {
      if (round > 0) await delay(this.timing.intervalMs);
      onlined += await this.onlineBlocks(this.paths.cpuDir, /^cpu\d+$/, wanted - onlined);
      if (onlined >= wanted) return;
    }
    throw new Error(`only ${onlined} of ${wanted} were connected`);
  }

  private async onlineMemory(): Promise<void> {
    await this.onlineBlocks(this.paths.memoryDir, /^memory\d+$/, Infinity);
  }

  /**
   * Writes 1 to the `online` file of entries that read 0, up to `limit` of them.
   * Entries without the file (cpu0, cold-plugged CPUs) cannot go offline and are skipped.
   */
  private async onlineBlocks(dir: string, pattern: RegExp, limit: number): Promise<number> {
    let count = 0;
    for (const entry of await readdirStrict(dir)) {
      if (count >= limit) break;
      if (!pattern.test(entry)) continue;
      const file = path.join(dir, entry, 'online');
      let state: string | undefined;
      try {
        state = await readOptionalAttribute(file);
      } catch (err) {
        this.log.debug({ file, error: errorText(err) }, 'unreadable online state, skipped');
        continue;
      }
      if (state !== '0') continue;
      try {
        await writeAttribute(file, '1');
        count++;
      } catch (err) {
        this.log.warn({ file, error: errorText(err) }, 'could not bring online');
      }
    }
    return count;
  }
}

interface MemoryAutoOnline {
  stop(): void;
  /** Settles once every write started so far has finished. */
  idle(): Promise<void>;
}

/** Onlines hot-added memory blocks as soon as their uevent arrives. */
export function autoOnlineMemory(
  registry: DeviceRegistry,
  paths: SystemPaths,
  log: Logger,
): MemoryAutoOnline {
  let pending: Promise<void> = Promise.resolve();
  const stop = registry.observe((event) => {
    if (event.action !== 'add' || event.subsystem !== 'memory') return;
    const file = paths.sys(event.devpath, 'online');
    const work = readOptionalAttribute(file)
      .then((state) => (state === '0' ? writeAttribute(file, '1') : undefined))
      .catch((err) => log.warn({ file, error: errorText(err) }, 'could not online memory block'));
    pending = Promise.all([pending, work]).then(() => undefined);
  });
  return { stop, idle: () => pending };
}
