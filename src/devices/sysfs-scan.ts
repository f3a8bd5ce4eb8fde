// Finds the devices that already exist, so that a device hot-plugged before the
// agent started listening (or while events were dropped) is still found.
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { SystemPaths } from '../common/system-paths';
import { isCode, listOptional } from '../guest/sysfs-io';
import { eventFromEnv, parseUeventFile, type Uevent } from './uevent';

/** Every device with a node (block and char) and every PCI and CCW device, as "add" events. */
export async function scanSysfs(paths: SystemPaths): Promise<Uevent[]> {
  const sources: [string, string | undefined][] = [
    [paths.blockDeviceLinks, 'block'],
    [paths.charDeviceLinks, undefined],
    [paths.pciDevices, 'pci'],
    [paths.ccwDevices, 'ccw'],
  ];
  const found = new Map<string, Uevent>();
  for (const [dir, subsystem] of sources) {
    const entries = await listOptional(dir);
    for (const event of await Promise.all(
      entries.map((e) => describe(paths, path.join(dir, e), subsystem)),
    )) {
      if (event) found.set(event.devpath, event);
    }
  }
  return [...found.values()];
}

/** The device behind a sysfs link, or undefined when it vanished meanwhile. */
async function describe(
  paths: SystemPaths,
  link: string,
  fallbackSubsystem: string | undefined,
): Promise<Uevent | undefined> {
  let target: string;
  try {
    target = path.resolve(path.dirname(link), await readlink(link));
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'EINVAL')) return undefined;
    throw err;
  }
  const devpath = '/' + path.relative(paths.sys(), target);
  if (devpath.startsWith('/..')) return undefined;
  let env: Record<string, string>;
  try {
    env = parseUeventFile(await readFile(path.join(target, 'uevent'), 'utf8'));
  } catch (err) {
    if (isCode(err, 'ENOENT')) env = {};
    else throw err;
  }
  const subsystem = await subsystemOf(target);
  env.SUBSYSTEM ??= subsystem ?? fallbackSubsystem ?? '';
  if (!env.SUBSYSTEM) delete env.SUBSYSTEM;
  return eventFromEnv(env, 'add', devpath);
}

async function subsystemOf(deviceDir: string): Promise<string | undefined> {
  try {
    return path.basename(await readlink(path.join(deviceDir, 'subsystem')));
  } catch {
    return undefined;
  }
}
