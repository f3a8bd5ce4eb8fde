// virtio-blk over MMIO: no bus address, the host predicts the node name.
import { invalidArgument } from '../../common/errors';
import type { DeviceHandler } from './types';

export const mmioBlkDeviceHandler: DeviceHandler = {
  types: ['mmioblk'],
  async locate(device, locator) {
    if (!device.vm_path) throw invalidArgument(`invalid vm_path for mmioblk device ${device.id}`);
    return locator.namedBlock(device.vm_path);
  },
};
