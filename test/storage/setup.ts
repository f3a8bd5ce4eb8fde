// A storage manager over a fake sysfs root and a temporary guest root.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDeviceSubsystem, type DeviceSubsystem } from '../../src/devices';
import { defaultConfig } from '../../src/config/options';
import type { Storage } from '../../src/generated/agent';
import { createLogger } from '../../src/logging/logger';
import { createStorageManager } from '../../src/storage';
import type { GuestStorageManager } from '../../src/storage/manager';
import { FakeSysfs } from '../helpers/fake-sysfs';

const log = createLogger({ level: 'silent' }).logger;

interface StorageSetup {
  fake: FakeSysfs;
  guestRoot: string;
  devices: DeviceSubsystem;
  storage: GuestStorageManager;
  /** Local path of a guest path. */
  local(guestPath: string): string;
}

export async function storageSetup(
  t: { after(fn: () => void | Promise<void>): void },
  options: { listen?: boolean; hotplugTimeoutMs?: number } = {},
): Promise<StorageSetup> {
  const fake = new FakeSysfs();
  const guestRoot = mkdtempSync(path.join(os.tmpdir(), 'guest-root-'));
  const config = {
    ...defaultConfig(),
    sysRoot: fake.root,
    guestRoot,
    hotplugTimeoutMs: options.hotplugTimeoutMs ?? 3000,
  };
  const devices = await createDeviceSubsystem(config, log, { listen: options.listen ?? false });
  const storage = createStorageManager(config, devices.locator, log);
  t.after(() => {
    devices.close();
    rmSync(guestRoot, { recursive: true, force: true });
    fake.remove();
  });
  return { fake, guestRoot, devices, storage, local: (p) => path.join(guestRoot, p) };
}

export const storage = (fields: Partial<Storage>): Storage => ({
  driver: '',
  driver_options: [],
  source: '',
  fstype: '',
  options: [],
  mount_point: '',
  ...fields,
});
