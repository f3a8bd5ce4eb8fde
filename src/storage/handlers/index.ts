// The storage drivers by name.
import {
  blkStorageHandler,
  ccwStorageHandler,
  mmioBlkStorageHandler,
  nvdimmStorageHandler,
  scsiStorageHandler,
} from './block';
import { ephemeralStorageHandler } from './ephemeral';
import { localStorageHandler } from './local';
import { ninePStorageHandler, virtioFsStorageHandler } from './shared-fs';
import type { StorageHandler } from './types';

export type { StorageContext, StorageHandler } from './types';

export const DEFAULT_STORAGE_HANDLERS: readonly StorageHandler[] = [
  ninePStorageHandler,
  virtioFsStorageHandler,
  blkStorageHandler,
  mmioBlkStorageHandler,
  scsiStorageHandler,
  nvdimmStorageHandler,
  ccwStorageHandler,
  ephemeralStorageHandler,
  localStorageHandler,
];
