// Linux constants the TypeScript side needs. These values are part of the
// kernel's user ABI and identical on every architecture Kata guests run on;
// anything architecture-dependent comes from the native addon's headers instead.

export const NETLINK_KOBJECT_UEVENT = 15;
/** Multicast group of uevents sent by the kernel (udev re-broadcasts on group 2). */
export const UEVENT_KERNEL_GROUP = 1;
/** Largest uevent datagram the kernel sends (UEVENT_BUFFER_SIZE) with room to spare. */
export const UEVENT_MAX_SIZE = 8192;

// mount(2) flags (include/uapi/linux/mount.h).
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOSYMFOLLOW = 0x100;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_SILENT = 0x8000;
export const MS_POSIXACL = 0x10000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_I_VERSION = 0x800000;
export const MS_STRICTATIME = 0x1000000;
export const MS_LAZYTIME = 0x2000000;

/** umount2(2) flag: detach now, finish when the last user goes. */
export const MNT_DETACH = 0x2;

/** Major/minor of a dev_t as the kernel's glibc-compatible encoding splits it. */
export function splitDevT(dev: bigint): { major: number; minor: number } {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
  return { major, minor };
}
