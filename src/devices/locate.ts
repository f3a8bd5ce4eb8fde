// Finds the guest node of a device the host named (by PCI path, SCSI address,
// CCW bus id or predicted /dev path), waiting for it to be hot-plugged. Shared by
// the device handlers (container devices) and the storage drivers (mounts).
import path from 'node:path';
import { readlink } from 'node:fs/promises';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { internal, invalidArgument } from '../common/errors';
import { checkCcwBusId, isCcwDisk } from './ccw';
import { rescanPciBus, resolvePciPath } from './pci';
import type { DeviceRecord, DeviceRegistry } from './registry';
import { isScsiDisk, parseScsiAddress, scanScsiHosts } from './scsi';

const isDisk = (d: DeviceRecord): boolean =>
  d.subsystem === 'block' && d.devtype !== 'partition' && d.devname !== undefined;

export class DeviceLocator {
  constructor(
    readonly paths: SystemPaths,
    readonly registry: DeviceRegistry,
  ) {}

  /** The disk of the virtio-blk device at a PCI path ("02/03"). */
  async pciDisk(pciPath: string): Promise<string> {
    const deviceDir = await resolvePciPath(this.paths, pciPath);
    await rescanPciBus(this.paths);
    const disk = await this.registry.waitFor(
      (d) => isDisk(d) && isBelowPciDevice(d.devpath, deviceDir),
      `at PCI path ${pciPath} (${deviceDir})`,
      undefined,
      'no disk appeared there: was one plugged into that slot, and is its driver (virtio_blk) in the image?',
    );
    return this.node(disk);
  }

  /** The disk at a SCSI address ("<target>:<lun>"), after asking the hosts to scan for it. */
  async scsiDisk(address: string): Promise<string> {
    const parsed = parseScsiAddress(address);
    await scanScsiHosts(this.paths, parsed);
    const disk = await this.registry.waitFor(
      (d) => isDisk(d) && isScsiDisk(d.devpath, parsed),
      `at SCSI address ${address}`,
      undefined,
      `no SCSI host found a disk at target ${parsed.target}, LUN ${parsed.lun}: ` +
        'was one plugged at that address, and is the SCSI disk driver (sd_mod) in the image?',
    );
    return this.node(disk);
  }

  /** The virtio disk on a CCW device ("0.0.0005"). */
  async ccwDisk(busId: string): Promise<string> {
    checkCcwBusId(busId);
    const disk = await this.registry.waitFor(
      (d) => isDisk(d) && isCcwDisk(d.devpath, busId),
      `on CCW bus id ${busId}`,
    );
    return this.node(disk);
  }

  /** A block device the host predicted by name ("/dev/vdb", "/dev/pmem0"). */
  async namedBlock(devicePath: string, prefix = ''): Promise<string> {
    const name = deviceName(devicePath);
    if (!path.posix.basename(name).startsWith(prefix)) {
      throw invalidArgument(`invalid ${prefix} device path ${JSON.stringify(devicePath)}`);
    }
    const disk = await this.registry.waitFor(
      (d) => d.subsystem === 'block' && d.devname === name,
      devicePath,
    );
    return this.node(disk);
  }

  /** The /dev/vfio/<group> node of the IOMMU group of the PCI device at a PCI path. */
  async vfioGroup(pciPath: string): Promise<string> {
    const deviceDir = await resolvePciPath(this.paths, pciPath);
    await rescanPciBus(this.paths);
    await this.registry.waitFor((d) => d.devpath === deviceDir, `at PCI path ${pciPath} (${deviceDir})`);
    let group: string;
    try {
      group = path.basename(await readlink(this.paths.sys(deviceDir, 'iommu_group')));
    } catch (err) {
      throw internal(`PCI device ${deviceDir} has no IOMMU group: ${errorText(err)}`);
    }
    const node = await this.registry.waitFor(
      (d) => d.devname === `vfio/${group}`,
      `VFIO group ${group} of PCI path ${pciPath}`,
    );
    return this.node(node);
  }

  private node(device: DeviceRecord): string {
    return this.paths.dev(device.devname ?? '');
  }
}

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** Whether a devpath belongs to that PCI device itself, not to a device behind it (when it is a bridge). */
function isBelowPciDevice(devpath: string, deviceDir: string): boolean {
  if (!devpath.startsWith(deviceDir + '/')) return false;
  const next = devpath.slice(deviceDir.length + 1).split('/')[0];
  return !PCI_ADDRESS.test(next);
}

/** "/dev/vdb" → "vdb"; anything not strictly below /dev is refused. */
function deviceName(devicePath: string): string {
  const normal = path.posix.normalize(devicePath);
  if (!normal.startsWith('/dev/') || normal !== devicePath || normal.length <= '/dev/'.length) {
    throw invalidArgument(`invalid device path ${JSON.stringify(devicePath)}: expected /dev/<name>`);
  }
  return normal.slice('/dev/'.length);
}
