// Kernel modules: which ones the guest needs, their dependency closure read from
// modules.dep, and the order to load them in (dependencies first).
import { readFileSync } from 'node:fs';

/**
 * What the agent's channels and devices need. Their dependencies (virtio,
 * virtio_ring, 9pnet, netfs, fscache, jbd2, mbcache, crc16, ...) are added
 * from modules.dep.
 */
export const GUEST_MODULES: readonly string[] = [
  'virtio_pci', // every virtio device here is PCI
  'virtio_console', // agent.channel.0
  'virtio_blk', // hot-plugged disks
  '9pnet_virtio',
  '9p', // kataShared
  'vsock',
  'vmw_vsock_virtio_transport', // host <-> guest vsock where the host has vhost-vsock
  'vsock_loopback', // guest-local vsock
  'crc32c_generic', // ext4 metadata checksums ask the crypto API for crc32c
  'ext4',
  'overlay',
  'loop',
  'button', // ACPI power button: the host's request to shut down
  'evdev', // ... delivered as an input event
  // The runtime's NIC: virtio-net-pci (net_failover and failover are its dependencies).
  'failover',
  'net_failover',
  'virtio_net',
  // block_device_driver = "virtio-scsi", the runtime's default: the controller, the
  // SCSI core and disks (sd_mod) on it.
  'virtio_scsi',
  'scsi_mod',
  'scsi_common',
  'sd_mod',
  // block_device_driver = "nvdimm" and a DAX root filesystem: the ACPI NFIT table,
  // persistent memory regions as block devices, and virtio-pmem.
  'libnvdimm',
  'nfit',
  'nd_pmem',
  'nd_btt',
  'virtio_pmem',
];

/** module name → its .ko path relative to lib/modules/<version>, and the paths it depends on. */
interface ModuleIndex {
  byName: Map<string, string>;
  deps: Map<string, string[]>;
}

export function moduleName(koPath: string): string {
  const base = koPath.slice(koPath.lastIndexOf('/') + 1).replace(/\.ko(\.[a-z]+)?$/, '');
  // The kernel treats '-' and '_' in module names alike.
  return base.replace(/-/g, '_');
}

export function parseModulesDep(text: string): ModuleIndex {
  const byName = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const ko = line.slice(0, colon).trim();
    const needs = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    byName.set(moduleName(ko), ko);
    deps.set(ko, needs);
  }
  return { byName, deps };
}

export function readModuleIndex(modulesDepFile: string): ModuleIndex {
  return parseModulesDep(readFileSync(modulesDepFile, 'utf8'));
}

/**
 * The .ko paths for `names` and everything they need, each after its
 * dependencies. A module that is not in the index is an error: it is either
 * built into the kernel (then drop it from the list) or misspelt.
 */
export function loadOrder(index: ModuleIndex, names: readonly string[]): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (ko: string): void => {
    if (done.has(ko)) return;
    if (visiting.has(ko)) throw new Error(`module dependency cycle at ${ko}`);
    visiting.add(ko);
    for (const dep of index.deps.get(ko) ?? []) visit(dep);
    visiting.delete(ko);
    done.add(ko);
    order.push(ko);
  };
  for (const name of names) {
    const ko = index.byName.get(name.replace(/-/g, '_'));
    if (!ko) throw new Error(`kernel module ${name} is not in modules.dep`);
    visit(ko);
  }
  return order;
}
