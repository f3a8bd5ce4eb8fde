// Builds the StorageManager from the configuration and the device locator.
import type { AgentConfig } from '../config/options';
import type { DeviceLocator } from '../devices/locate';
import type { Logger } from '../logging/logger';
import { DEFAULT_STORAGE_HANDLERS, type StorageHandler } from './handlers';
import { GuestStorageManager } from './manager';
import { Mounter, type MountSyscalls } from './mounter';

interface StorageManagerOptions {
  handlers?: readonly StorageHandler[];
  syscalls?: MountSyscalls;
}

export function createStorageManager(
  config: AgentConfig,
  locator: DeviceLocator,
  log: Logger,
  options: StorageManagerOptions = {},
): GuestStorageManager {
  const mounter = new Mounter(locator.paths, options.syscalls);
  return new GuestStorageManager(
    config.guestRoot,
    { locator, mounter, log },
    options.handlers ?? DEFAULT_STORAGE_HANDLERS,
  );
}
