// VFIO: the container gets the group node of the passed-through PCI device.
// The id is the device's guest PCI path.
import { invalidArgument } from '../../common/errors';
import type { DeviceHandler } from './types';

export const vfioDeviceHandler: DeviceHandler = {
  types: ['vfio'],
  async locate(device, locator) {
    if (!device.id) throw invalidArgument('vfio device needs its guest PCI path in id');
    return locator.vfioGroup(device.id);
  },
};
