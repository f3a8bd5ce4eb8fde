// Block devices holding a filesystem: found by bus address (or predicted name),
// then mounted like any disk.
import { stat } from 'node:fs/promises';
import type { DeviceLocator } from '../../devices/locate';
import type { Storage } from '../../generated/agent';
import { invalidArgument } from '../../common/errors';
import type { StorageHandler } from './types';

function blockHandler(
  drivers: string[],
  locate: (source: string, l: DeviceLocator) => Promise<string>,
): StorageHandler {
  return {
    drivers,
    async setup(storage: Storage, target, { locator, mounter }) {
      if (!storage.source) throw invalidArgument(`${drivers[0]} storage needs a source`);
      const node = await locate(storage.source, locator);
      return mounter.mount({ source: node, target, fstype: storage.fstype, options: storage.options });
    },
  };
}

/** virtio-blk over PCI: the source is a PCI path, or a /dev path that must already be a block device. */
export const blkStorageHandler = blockHandler(['blk'], async (source, locator) => {
  if (!source.startsWith('/dev/')) return locator.pciDisk(source);
  const node = locator.paths.guestDevice(source);
  const info = await stat(node).catch(() => undefined);
  if (!info?.isBlockDevice()) throw invalidArgument(`invalid device ${source}`);
  return node;
});

export const mmioBlkStorageHandler = blockHandler(['mmioblk'], (source, locator) =>
  locator.namedBlock(source),
);
export const scsiStorageHandler = blockHandler(['scsi'], (source, locator) => locator.scsiDisk(source));
export const nvdimmStorageHandler = blockHandler(['nvdimm'], (source, locator) =>
  locator.namedBlock(source, 'pmem'),
);
export const ccwStorageHandler = blockHandler(['blk-ccw', 'ccw'], (source, locator) =>
  locator.ccwDisk(source),
);
