// Builds the container side of the agent from its configuration: the OCI runtime,
// the reaper, cgroups, the OOM queue and the sandbox, plus their RPC handlers.
import { readFileSync } from 'node:fs';
import { CgroupFs } from '../cgroups/cgroup-fs';
import { detectCgroupLayout } from '../cgroups/layout';
import { OomQueue } from '../cgroups/oom';
import type { AgentConfig } from '../config/options';
import type { DeviceManager } from '../devices/types';
import type { Logger } from '../logging/logger';
import { sharedReaper } from '../process/shared-reaper';
import { exposeReadOnly, which } from '../runtime/binary';
import { chooseOciRuntime } from '../runtime/choose';
import { OciRuntime } from '../runtime/oci-runtime';
import type { StorageManager } from '../storage/types';
import { PendingDeletions } from './deletions';
import { GuestPaths } from './paths';
import { Sandbox } from './sandbox';
import { errorText } from '../common/error-text';
import { SystemPaths } from '../common/system-paths';

interface ContainerSupport {
  sandbox: Sandbox;
  oom: OomQueue;
  /** Destroys the sandbox (if any) and stops reaping. */
  shutdown(): Promise<void>;
}

export interface ContainerModules {
  storage: StorageManager;
  devices: DeviceManager;
}

export const CGROUP_PARENT = '/kata';

export function containerSupport(
  config: AgentConfig,
  log: Logger,
  modules: ContainerModules,
): ContainerSupport {
  const paths = new GuestPaths(config.guestRoot);
  const reaper = sharedReaper(log);
  reaper.start();
  const choice = chooseOciRuntime(config.ociRuntime, detectCgroupLayout(config.sysRoot || '/'), (name) =>
    Boolean(which(name)),
  );
  if (choice.warning) log.warn({ runtime: choice.name }, choice.warning);
  const exposed = exposeReadOnly(choice.name, paths.guest('/run/kata-agent/bin'), log);
  const runtime = new OciRuntime({
    name: choice.name,
    stateRoot: paths.runtimeState(choice.name),
    binary: exposed?.path,
    env: exposed?.env,
    watcher: reaper,
  });
  const oom = new OomQueue(log);
  const sandbox = new Sandbox({
    ctx: {
      runtime,
      reaper,
      cgroups: new CgroupFs(new SystemPaths(config.sysRoot).cgroupRoot),
      oom,
      paths,
      storage: modules.storage,
      deletions: new PendingDeletions(log),
      pipeSize: config.containerPipeSize,
      maxProcesses: config.maxProcessesPerContainer,
      sysRoot: config.sysRoot,
      noPivot: !config.guestRoot && rootIsInitramfs(),
      log,
    },
    devices: modules.devices,
    rootLog: log,
    modprobe: config.modprobe,
    cgroupParent: CGROUP_PARENT,
  });
  return {
    sandbox,
    oom,
    async shutdown() {
      await sandbox
        .destroy()
        .catch((err: Error) => log.warn({ error: errorText(err) }, 'sandbox teardown failed'));
      reaper.stop();
      exposed?.release();
    },
  };
}

/** pivot_root cannot leave an initramfs: the runtime must then run without it (1.x). */
function rootIsInitramfs(): boolean {
  try {
    const roots = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[1] === '/');
    return roots.at(-1)?.[2] === 'rootfs';
  } catch {
    return false;
  }
}
