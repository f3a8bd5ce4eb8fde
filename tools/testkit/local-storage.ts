// A StorageManager with the two drivers that need no host device: "local" (a
// directory) and "ephemeral" (a tmpfs), reference-counted by mount point, with
// guest paths under the test's guest root.
import { mkdirSync, rmSync } from 'node:fs';
import type { Storage } from '../../src/generated/agent';
import { native } from '../../src/native';
import { invalidArgument } from '../../src/common/errors';
import type { MountedStorage, StorageManager } from '../../src/storage/types';

export class LocalStorage implements StorageManager {
  private readonly refs = new Map<string, number>();
  /** Makes the next releaseAll fail (after releasing), to test error reporting. */
  failNextRelease = false;
  constructor(private readonly guestRoot: string) {}

  async mountAll(storages: readonly Storage[]): Promise<MountedStorage[]> {
    const done: MountedStorage[] = [];
    try {
      for (const s of storages) done.push(this.mount(s));
    } catch (err) {
      await this.releaseAll(done);
      throw err;
    }
    return done;
  }

  private mount(s: Storage): MountedStorage {
    if (s.driver !== 'local' && s.driver !== 'ephemeral')
      throw invalidArgument(`Unknown storage driver ${JSON.stringify(s.driver)}`);
    const target = this.guestRoot + s.mount_point;
    const count = this.refs.get(target) ?? 0;
    if (count === 0) {
      mkdirSync(target, { recursive: true, mode: 0o777 });
      if (s.driver === 'ephemeral') native().mount('tmpfs', target, 'tmpfs', 0, s.options.join(','));
    }
    this.refs.set(target, count + 1);
    return { mountPoint: target, driver: s.driver };
  }

  async releaseAll(mounted: readonly MountedStorage[]): Promise<void> {
    for (const m of [...mounted].reverse()) {
      const count = (this.refs.get(m.mountPoint) ?? 0) - 1;
      if (count > 0) {
        this.refs.set(m.mountPoint, count);
        continue;
      }
      this.refs.delete(m.mountPoint);
      if (m.driver === 'ephemeral') native().umount2(m.mountPoint, native().constants.MNT_DETACH);
      rmSync(m.mountPoint, { recursive: true, force: true });
    }
    if (this.failNextRelease) {
      this.failNextRelease = false;
      throw new Error('injected release failure');
    }
  }

  driverNames(): string[] {
    return ['local', 'ephemeral'];
  }

  get mountPoints(): string[] {
    return [...this.refs.keys()];
  }
}
