// Rewrites a container spec's device entries with the guest's device numbers.
// The host wrote its own major/minor into linux.devices and the device-cgroup
// rules; the guest's differ. All original numbers are indexed before any change,
// so one device's new numbers can never be mistaken for another's old ones.
import { internal } from '../common/errors';
import type { SpecDevices } from './types';

type LinuxDevice = NonNullable<NonNullable<SpecDevices['linux']>['devices']>[number];
type CgroupRule = NonNullable<NonNullable<NonNullable<SpecDevices['linux']>['resources']>['devices']>[number];

interface Original {
  device: LinuxDevice;
  /** Cgroup rules that named this device's host numbers. */
  rules: CgroupRule[];
}

/** "u" (unbuffered char) is a char device as far as the device cgroup is concerned. */
const cgroupType = (type: string): string => (type === 'u' ? 'c' : type);

export class DeviceSpecEditor {
  private readonly byPath = new Map<string, Original>();

  constructor(spec: SpecDevices) {
    const devices = spec.linux?.devices ?? [];
    const rules = spec.linux?.resources?.devices ?? [];
    for (const device of devices) {
      const type = cgroupType(device.type);
      const matching = rules.filter(
        (r) => r.type === type && r.major === device.major && r.minor === device.minor,
      );
      this.byPath.set(device.path, { device, rules: matching });
    }
  }

  /** Points the spec's entry for `containerPath` (and its cgroup rules) at the guest device numbers. */
  update(containerPath: string, guest: { major: number; minor: number }): void {
    if (!containerPath) throw internal('ContainerPath cannot be empty');
    if (this.byPath.size === 0) throw internal('No devices found from the spec, cannot update');
    const original = this.byPath.get(containerPath);
    if (!original) throw internal(`Should have found a matching device ${containerPath} in the spec`);
    original.device.major = BigInt(guest.major);
    original.device.minor = BigInt(guest.minor);
    for (const rule of original.rules) {
      rule.major = BigInt(guest.major);
      rule.minor = BigInt(guest.minor);
    }
  }
}
