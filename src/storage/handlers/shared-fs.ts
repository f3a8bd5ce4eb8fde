// Directories shared by the host: 9p and virtio-fs, mounted by their tag.
import type { StorageHandler } from './types';

function sharedFsHandler(driver: string, defaultFsType: string): StorageHandler {
  return {
    drivers: [driver],
    setup: (storage, target, { mounter }) =>
      mounter.mount({
        source: storage.source,
        target,
        fstype: storage.fstype || defaultFsType,
        options: storage.options,
      }),
  };
}

export const ninePStorageHandler = sharedFsHandler('9p', '9p');
export const virtioFsStorageHandler = sharedFsHandler('virtio-fs', 'virtiofs');
