// PCI paths: how the host names a hot-plugged PCI device in the guest. "02/03"
// means slot 03 on the bus behind the bridge in slot 02 of the root bus (function
// 0 everywhere). Resolution walks the bridges' pci_bus directories in sysfs.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { listOptional, writeAttribute } from '../guest/sysfs-io';
import { invalidArgument, internal, notFound } from '../common/errors';

const SLOT = /^[0-9a-fA-F]{2}$/;
const MAX_SLOT = 0x1f;
const MAX_DEPTH = 16;

/** The slots of a PCI path, root bus first. */
export function parsePciPath(pciPath: string): number[] {
  const parts = pciPath.split('/');
  if (parts.length > MAX_DEPTH || !parts.every((p) => SLOT.test(p) && parseInt(p, 16) <= MAX_SLOT)) {
    throw invalidArgument(
      `invalid PCI path ${JSON.stringify(pciPath)}: expected slots like "02/03" (hex 00-1f)`,
    );
  }
  return parts.map((p) => parseInt(p, 16));
}

/** The root bus devpath: "/devices/pci0000:00", or the one under a platform "*.pcie" device (arm64). */
export async function pciRootBus(paths: SystemPaths): Promise<string> {
  const direct = '/devices/pci0000:00';
  if (await isDirectory(paths.sys(direct))) return direct;
  for (const entry of (await listOptional(paths.platformDevices)).sort()) {
    const candidate = `/devices/platform/${entry}/pci0000:00`;
    if (entry.endsWith('.pcie') && (await isDirectory(paths.sys(candidate)))) return candidate;
  }
  throw internal('no PCI root bus found in sysfs');
}

/** The devpath of the device a PCI path names, e.g. "/devices/pci0000:00/0000:00:02.0/0000:01:03.0". */
export async function resolvePciPath(paths: SystemPaths, pciPath: string): Promise<string> {
  const slots = parsePciPath(pciPath);
  const root = await pciRootBus(paths);
  let bus = path.basename(root).slice('pci'.length);
  let devpath = root;
  for (const [i, slot] of slots.entries()) {
    devpath += `/${bus}:${slot.toString(16).padStart(2, '0')}.0`;
    if (i === slots.length - 1) break;
    // A bridge lists exactly one secondary bus: the bus of the next element.
    const busDir = paths.sys(devpath, 'pci_bus');
    let buses: string[];
    try {
      buses = await readdir(busDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw notFound(
          `PCI path ${pciPath}: no PCI bridge at ${devpath}, where the path expects one ` +
            '(is the hot-plug bridge on the VM, at that slot?)',
        );
      }
      throw internal(`PCI path ${pciPath}: cannot read ${busDir}: ${errorText(err)}`);
    }
    if (buses.length !== 1) {
      throw internal(`PCI path ${pciPath}: expected exactly one PCI bus in ${busDir}, got ${buses.length}`);
    }
    bus = buses[0];
  }
  return devpath;
}

/** Asks the kernel to look for new PCI devices (hot-plugged ones not yet enumerated). */
export async function rescanPciBus(paths: SystemPaths): Promise<void> {
  try {
    await writeAttribute(paths.pciRescan, '1');
  } catch (err) {
    throw internal(`could not rescan the PCI bus (${paths.pciRescan}): ${errorText(err)}`);
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
