// The StorageManager container and sandbox code use. Every storage is counted by
// mount point: the first user sets it up, later users share it, the last release
// takes it down. A failing mountAll gives back everything that call took.
import path from 'node:path';
import type { Storage } from '../generated/agent';
import { errorText } from '../common/error-text';
import { failedPrecondition, invalidArgument, notFound } from '../common/errors';
import { requireAbsolutePath } from '../rpc/validate';
import { refuseSymlinksBelow } from './no-symlinks';
import type { StorageContext, StorageHandler } from './handlers';
import type { Unmount } from './mounter';
import type { MountedStorage, StorageManager } from './types';

interface Entry {
  driver: string;
  users: number;
  /** Settles when the first user's setup finished. */
  ready: Promise<Unmount>;
}

export class GuestStorageManager implements StorageManager {
  private readonly handlers = new Map<string, StorageHandler>();
  private readonly entries = new Map<string, Entry>();
  /** Take-downs in progress: a new setup of the same mount point waits for them. */
  private readonly takingDown = new Map<string, Promise<void>>();

  constructor(
    private readonly guestRoot: string,
    private readonly context: StorageContext,
    handlers: readonly StorageHandler[],
  ) {
    for (const handler of handlers) for (const driver of handler.drivers) this.handlers.set(driver, handler);
  }

  driverNames(): string[] {
    return [...this.handlers.keys()];
  }

  /** Mount points currently set up, with their number of users. */
  inUse(): Map<string, number> {
    return new Map([...this.entries].map(([mountPoint, e]) => [mountPoint, e.users]));
  }

  async mountAll(storages: readonly Storage[]): Promise<MountedStorage[]> {
    const taken: MountedStorage[] = [];
    try {
      // Checked up front so that an unknown driver late in the list costs no mounts.
      const work = storages.filter(Boolean).map((s) => ({ storage: s, handler: this.handlerFor(s) }));
      for (const { storage, handler } of work) taken.push(await this.acquire(storage, handler));
      return taken;
    } catch (err) {
      try {
        await this.releaseAll(taken);
      } catch (releaseErr) {
        this.context.log.warn(
          { error: errorText(releaseErr) },
          'could not release storages after a failed mount',
        );
      }
      throw err;
    }
  }

  async releaseAll(mounted: readonly MountedStorage[]): Promise<void> {
    let first: unknown;
    for (const m of [...mounted].reverse()) {
      try {
        await this.release(m);
      } catch (err) {
        first ??= err;
        this.context.log.warn({ mountPoint: m.mountPoint, error: errorText(err) }, 'storage release failed');
      }
    }
    if (first !== undefined) throw first;
  }

  private handlerFor(storage: Storage): StorageHandler {
    const handler = this.handlers.get(storage.driver);
    if (!handler) throw invalidArgument(`Unknown storage driver ${JSON.stringify(storage.driver)}`);
    if (!storage.mount_point) throw invalidArgument(`${storage.driver} storage: need mount destination`);
    requireAbsolutePath(storage.mount_point, `${storage.driver} storage mount_point`);
    return handler;
  }

  private async acquire(storage: Storage, handler: StorageHandler): Promise<MountedStorage> {
    const mountPoint = path.posix.normalize(storage.mount_point);
    const mounted = { mountPoint, driver: storage.driver };
    const existing = this.entries.get(mountPoint);
    if (existing) {
      if (existing.driver !== storage.driver) {
        throw failedPrecondition(`mount point ${mountPoint} is already used by a ${existing.driver} storage`);
      }
      existing.users++;
      try {
        await existing.ready;
      } catch (err) {
        existing.users--;
        throw err;
      }
      return mounted;
    }
    const previous = this.takingDown.get(mountPoint) ?? Promise.resolve();
    const entry: Entry = {
      driver: storage.driver,
      users: 1,
      ready: previous
        .catch(() => undefined)
        .then(() =>
          refuseSymlinksBelow(this.guestRoot || '/', mountPoint, `${storage.driver} storage ${mountPoint}`),
        )
        .then(() => handler.setup(storage, this.localPath(mountPoint), this.context)),
    };
    this.entries.set(mountPoint, entry);
    try {
      await entry.ready;
    } catch (err) {
      if (this.entries.get(mountPoint) === entry) this.entries.delete(mountPoint);
      throw err;
    }
    return mounted;
  }

  private async release(mounted: MountedStorage): Promise<void> {
    const entry = this.entries.get(mounted.mountPoint);
    if (!entry) throw notFound(`Sandbox storage with path ${mounted.mountPoint} not found`);
    if (--entry.users > 0) return;
    this.entries.delete(mounted.mountPoint);
    const done = entry.ready.then((takeDown) => takeDown());
    this.takingDown.set(mounted.mountPoint, done);
    try {
      await done;
    } finally {
      if (this.takingDown.get(mounted.mountPoint) === done) this.takingDown.delete(mounted.mountPoint);
    }
  }

  private localPath(mountPoint: string): string {
    return path.join(this.guestRoot || '/', mountPoint);
  }
}
