// One handler per device type: finds the guest node of a device the host named.
import type { Device } from '../../generated/agent';
import type { DeviceLocator } from '../locate';

export interface DeviceHandler {
  /** Type names it answers to ("blk", ...). */
  readonly types: readonly string[];
  /** The guest path of the device node (under the configured /dev). */
  locate(device: Device, locator: DeviceLocator): Promise<string>;
}
