// Sandbox scratch space in guest memory: a tmpfs shared by the containers that name it.
import type { StorageHandler } from './types';

export const ephemeralStorageHandler: StorageHandler = {
  drivers: ['ephemeral'],
  setup: (storage, target, { mounter }) =>
    mounter.mount({
      source: storage.source || 'tmpfs',
      target,
      fstype: storage.fstype || 'tmpfs',
      options: storage.options,
    }),
};
