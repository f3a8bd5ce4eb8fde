// The device handlers by type name.
import { blkDeviceHandler } from './blk';
import { ccwDeviceHandler } from './ccw';
import { mmioBlkDeviceHandler } from './mmioblk';
import { nvdimmDeviceHandler } from './nvdimm';
import { scsiDeviceHandler } from './scsi';
import type { DeviceHandler } from './types';
import { vfioDeviceHandler } from './vfio';

export type { DeviceHandler } from './types';

export const DEFAULT_DEVICE_HANDLERS: readonly DeviceHandler[] = [
  blkDeviceHandler,
  mmioBlkDeviceHandler,
  scsiDeviceHandler,
  nvdimmDeviceHandler,
  vfioDeviceHandler,
  ccwDeviceHandler,
];

export function deviceHandlerTable(handlers: readonly DeviceHandler[]): Map<string, DeviceHandler> {
  const table = new Map<string, DeviceHandler>();
  for (const handler of handlers) for (const type of handler.types) table.set(type, handler);
  return table;
}
