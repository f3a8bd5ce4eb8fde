// NVDIMM / pmem: the host predicts "/dev/pmemN".
import { invalidArgument } from '../../common/errors';
import type { DeviceHandler } from './types';

export const nvdimmDeviceHandler: DeviceHandler = {
  types: ['nvdimm'],
  async locate(device, locator) {
    if (!device.vm_path) throw invalidArgument(`invalid vm_path for nvdimm device ${device.id}`);
    return locator.namedBlock(device.vm_path, 'pmem');
  },
};
