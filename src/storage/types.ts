// What the sandbox and container code needs from storage: mount what the host
// describes, release it again. Drivers live behind a registry in src/storage/.
import type { Storage } from '../generated/agent';

export interface MountedStorage {
  /** Where the storage is mounted in the guest. */
  mountPoint: string;
  /** Driver that mounted it ("9p", "blk", "local", ...). */
  driver: string;
}

export interface StorageManager {
  /**
   * Mounts every storage in order. Sandbox-level storages (same mount point used
   * again) are reference-counted. On failure, whatever this call mounted is released
   * before the error is thrown, so nothing is left half-made.
   */
  mountAll(storages: readonly Storage[]): Promise<MountedStorage[]>;
  /** Drops one reference of each; unmounts (in reverse order) what nobody uses any more. */
  releaseAll(mounted: readonly MountedStorage[]): Promise<void>;
  /** Driver names, for GetGuestDetails. */
  driverNames(): string[];
}
