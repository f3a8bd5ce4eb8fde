// The guest-wide operations of the agent (CPU/memory hotplug, details, entropy,
// clock, file copies), built from the configuration.
import type { AgentConfig } from '../config/options';
import type { Logger } from '../logging/logger';
import { systemClock, type ClockSetter } from './clock';
import { CpuMemOnliner, DEFAULT_CPU_ONLINE_TIMING, type CpuOnlineTiming } from './cpu-mem';
import type { CpusetTarget } from './cpuset';
import { FileCopier } from './copy-file';
import type { AgentCapabilities } from './details';
import { SystemPaths } from '../common/system-paths';
import type { EntropyIoctls } from './random';

export interface GuestOperations {
  paths: SystemPaths;
  onliner: CpuMemOnliner;
  copier: FileCopier;
  clock: ClockSetter;
  capabilities: AgentCapabilities;
  entropy?: EntropyIoctls;
  log: Logger;
}

interface GuestOperationsOptions {
  /** Cgroups of the running containers (OnlineCPUMem widens their cpusets); none by default. */
  containerCgroups?: () => readonly CpusetTarget[];
  capabilities: AgentCapabilities;
  /** The clock SetGuestDateTime sets; the system clock by default. */
  clock?: ClockSetter;
  entropy?: EntropyIoctls;
  cpuTiming?: CpuOnlineTiming;
}

export function createGuestOperations(
  config: AgentConfig,
  log: Logger,
  options: GuestOperationsOptions,
): GuestOperations {
  const paths = new SystemPaths(config.sysRoot);
  return {
    paths,
    onliner: new CpuMemOnliner(
      paths,
      options.containerCgroups ?? (() => []),
      log,
      options.cpuTiming ?? DEFAULT_CPU_ONLINE_TIMING,
    ),
    copier: new FileCopier(config.guestRoot, config.copyFileMaxBytes),
    clock: options.clock ?? systemClock,
    capabilities: options.capabilities,
    entropy: options.entropy,
    log,
  };
}
