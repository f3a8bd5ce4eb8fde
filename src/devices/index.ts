// Builds the device side of the agent from its configuration: the registry fed by
// a sysfs scan and the uevent listener, the locator and the DeviceManager.
import type { AgentConfig } from '../config/options';
import { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import type { Logger } from '../logging/logger';
import { DEFAULT_DEVICE_HANDLERS, type DeviceHandler } from './handlers';
import { DeviceLocator } from './locate';
import { GuestDeviceManager } from './manager';
import { DeviceRegistry } from './registry';
import type { DeviceManager } from './types';
import { UeventListener } from './uevent';

export interface DeviceSubsystem {
  paths: SystemPaths;
  registry: DeviceRegistry;
  locator: DeviceLocator;
  manager: DeviceManager;
  /** Stops listening for uevents. */
  close(): void;
}

interface DeviceSubsystemOptions {
  /** Listen for uevents (default true); without it only the sysfs scans feed the registry. */
  listen?: boolean;
  handlers?: readonly DeviceHandler[];
}

export async function createDeviceSubsystem(
  config: AgentConfig,
  log: Logger,
  options: DeviceSubsystemOptions = {},
): Promise<DeviceSubsystem> {
  const paths = new SystemPaths(config.sysRoot);
  const registry = new DeviceRegistry(paths, config.hotplugTimeoutMs, log);
  let listener: UeventListener | undefined;
  // Listen first, then scan: a device added in between is seen at least once.
  if (options.listen ?? true) {
    try {
      listener = UeventListener.start(registry, log);
    } catch (err) {
      log.warn(
        { error: errorText(err) },
        'no uevent listener; hot-plugged devices are found only by sysfs scans',
      );
    }
  }
  // The first scan runs behind the channel's opening: it reads every device's
  // uevent file, over a second under TCG, and the host is waiting for an answer.
  // Every lookup waits on the registry.
  registry.scanAtStart(listener !== undefined);
  const locator = new DeviceLocator(paths, registry);
  const manager = new GuestDeviceManager(locator, options.handlers ?? DEFAULT_DEVICE_HANDLERS);
  return { paths, registry, locator, manager, close: () => listener?.close() };
}
