// virtio-blk over PCI: the id is the PCI path; without one the host's vm_path is trusted.
import type { DeviceHandler } from './types';

export const blkDeviceHandler: DeviceHandler = {
  types: ['blk'],
  locate: (device, locator) =>
    device.id ? locator.pciDisk(device.id) : Promise.resolve(locator.paths.guestDevice(device.vm_path)),
};
