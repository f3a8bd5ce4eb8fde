// virtio-blk on s390x channel I/O: the id is the CCW bus id. 1.x runtimes call it "blk-ccw".
import { invalidArgument } from '../../common/errors';
import type { DeviceHandler } from './types';

export const ccwDeviceHandler: DeviceHandler = {
  types: ['ccw', 'blk-ccw'],
  async locate(device, locator) {
    if (!device.id) throw invalidArgument('ccw device needs its CCW bus id in id');
    return locator.ccwDisk(device.id);
  },
};
