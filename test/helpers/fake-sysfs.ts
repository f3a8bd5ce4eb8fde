// Fake /sys, /dev and /proc trees with the layout the kernel uses, for devices
// this machine does not have (PCI hotplug, SCSI, pmem, CCW, CPU/memory hotplug).
// Device nodes are symlinks to real nodes of this machine, so stat() and mount
// see real devices.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SystemPaths } from '../../src/common/system-paths';

interface FakeBlockDevice {
  /** Where the device directory lies, e.g. "/devices/pci0000:00/0000:00:02.0/virtio1/block/vdb". */
  devpath: string;
  major: number;
  minor: number;
  devtype?: 'disk' | 'partition';
  /** Real node the fake /dev entry points at. */
  node?: string;
}

export class FakeSysfs {
  readonly root: string;
  readonly paths: SystemPaths;

  constructor() {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'fake-sysfs-'));
    this.paths = new SystemPaths(this.root);
    for (const dir of [
      'sys/devices',
      'sys/dev/block',
      'sys/dev/char',
      'sys/bus/pci/devices',
      'sys/class',
      'dev',
      'proc',
    ]) {
      mkdirSync(path.join(this.root, dir), { recursive: true });
    }
    writeFileSync(this.paths.pciRescan, '');
  }

  /** Writes a file (creating parents) below the fake root. */
  file(relative: string, content: string): string {
    const full = path.join(this.root, relative);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    return full;
  }

  dir(relative: string): string {
    const full = path.join(this.root, relative);
    mkdirSync(full, { recursive: true });
    return full;
  }

  /** A symlink at `relative` pointing (relatively, as sysfs does) at `targetRelative`. */
  link(relative: string, targetRelative: string): void {
    const full = path.join(this.root, relative);
    mkdirSync(path.dirname(full), { recursive: true });
    symlinkSync(path.relative(path.dirname(full), path.join(this.root, targetRelative)), full);
  }

  /** A PCI device (or bridge, with its secondary bus) at a devpath. */
  pciDevice(devpath: string, secondaryBus?: string): void {
    const dir = path.join('sys', devpath);
    this.file(path.join(dir, 'uevent'), `PCI_SLOT_NAME=${path.basename(devpath)}\n`);
    this.link(path.join(dir, 'subsystem'), 'sys/bus/pci');
    this.link(path.join('sys/bus/pci/devices', path.basename(devpath)), dir);
    if (secondaryBus) this.dir(path.join(dir, 'pci_bus', secondaryBus));
  }

  blockDevice(device: FakeBlockDevice): string {
    const name = path.basename(device.devpath);
    const dir = path.join('sys', device.devpath);
    const devtype = device.devtype ?? 'disk';
    this.file(
      path.join(dir, 'uevent'),
      `MAJOR=${device.major}\nMINOR=${device.minor}\nDEVNAME=${name}\nDEVTYPE=${devtype}\n`,
    );
    this.file(path.join(dir, 'dev'), `${device.major}:${device.minor}\n`);
    this.link(path.join(dir, 'subsystem'), 'sys/class/block');
    this.link(path.join('sys/dev/block', `${device.major}:${device.minor}`), dir);
    if (device.node) symlinkSync(device.node, path.join(this.root, 'dev', name));
    return path.join(this.root, 'dev', name);
  }

  charDevice(devpath: string, devname: string, major: number, minor: number, node?: string): string {
    const dir = path.join('sys', devpath);
    this.file(path.join(dir, 'uevent'), `MAJOR=${major}\nMINOR=${minor}\nDEVNAME=${devname}\n`);
    this.link(path.join('sys/dev/char', `${major}:${minor}`), dir);
    const full = path.join(this.root, 'dev', devname);
    mkdirSync(path.dirname(full), { recursive: true });
    if (node) symlinkSync(node, full);
    return full;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A kernel uevent datagram, byte for byte as the kernel formats it. */
export function ueventDatagram(
  action: string,
  devpath: string,
  env: Record<string, string | number>,
): Buffer {
  const pairs = Object.entries({ ACTION: action, DEVPATH: devpath, ...env }).map(([k, v]) => `${k}=${v}`);
  return Buffer.from([`${action}@${devpath}`, ...pairs].join('\0') + '\0');
}
