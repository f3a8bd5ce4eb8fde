// virtio-scsi: the id is "<target>:<lun>" on the guest's SCSI controller.
import { invalidArgument } from '../../common/errors';
import type { DeviceHandler } from './types';

export const scsiDeviceHandler: DeviceHandler = {
  types: ['scsi'],
  async locate(device, locator) {
    if (!device.id) throw invalidArgument('scsi device needs its SCSI address in id');
    return locator.scsiDisk(device.id);
  },
};
