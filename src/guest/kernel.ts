// Linux constants the TypeScript side needs. These values are part of the
// kernel's user ABI and identical on every architecture Kata guests run on;
// anything architecture-dependent comes from the native addon's headers instead.

export const NETLINK_KOBJECT_UEVENT = 15;
/** Multicast group of uevents sent by the kernel (udev re-broadcasts on group 2). */
export const UEVENT_KERNEL_GROUP = 1;
/** Largest uevent datagram the kernel sends (UEVENT_BUFFER_SIZE) with room to spare. */
export const UEVENT_MAX_SIZE = 8192;

/** umount2(2) flag: detach now, finish when the last user goes. */
export const MNT_DETACH = 0x2;

/** Major/minor of a dev_t as the kernel's glibc-compatible encoding splits it. */
export function splitDevT(dev: bigint): { major: number; minor: number } {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
  return { major, minor };
}
