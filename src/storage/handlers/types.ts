// One handler per storage driver: makes a storage available at its mount point.
import type { DeviceLocator } from '../../devices/locate';
import type { Storage } from '../../generated/agent';
import type { Logger } from '../../logging/logger';
import type { Mounter, Unmount } from '../mounter';

export interface StorageContext {
  locator: DeviceLocator;
  mounter: Mounter;
  log: Logger;
}

export interface StorageHandler {
  /** Driver names it answers to ("9p", ...). */
  readonly drivers: readonly string[];
  /** Sets the storage up at `target` (a local path); returns how to take it down again. */
  setup(storage: Storage, target: string, ctx: StorageContext): Promise<Unmount>;
}
