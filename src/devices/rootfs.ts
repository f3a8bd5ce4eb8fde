// Containers must never reach the block device that holds the guest's own root
// filesystem (with an image rootfs, the nvdimm the VM booted from).
import { stat } from 'node:fs/promises';
import { splitDevT } from '../guest/kernel';
import type { SpecDevices } from './types';

type CgroupRule = NonNullable<NonNullable<NonNullable<SpecDevices['linux']>['resources']>['devices']>[number];

/** A device-cgroup rule denying read and write on the device backing `root` (the guest's "/"). */
export async function guestRootDenyRule(root = '/'): Promise<CgroupRule> {
  const { major, minor } = splitDevT((await stat(root, { bigint: true })).dev);
  return { allow: false, type: 'b', major: BigInt(major), minor: BigInt(minor), access: 'rw' };
}
