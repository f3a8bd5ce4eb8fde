// mount(2) flags and the option words that name them ("ro", "nodev", "rbind", ...),
// defined once for storage mounts, PID 1's own mounts and bind mounts. The values
// are the kernel's user ABI (include/uapi/linux/mount.h), identical on every
// architecture Kata guests run on; a test checks them against the native addon.

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

/** Words that set a flag. */
const SET = new Map<string, number>(
  Object.entries({
    acl: MS_POSIXACL,
    bind: MS_BIND,
    defaults: 0,
    dirsync: MS_DIRSYNC,
    iversion: MS_I_VERSION,
    lazytime: MS_LAZYTIME,
    mand: MS_MANDLOCK,
    noatime: MS_NOATIME,
    nodev: MS_NODEV,
    nodiratime: MS_NODIRATIME,
    noexec: MS_NOEXEC,
    nosuid: MS_NOSUID,
    nosymfollow: MS_NOSYMFOLLOW,
    rbind: MS_BIND | MS_REC,
    relatime: MS_RELATIME,
    remount: MS_REMOUNT,
    ro: MS_RDONLY,
    silent: MS_SILENT,
    strictatime: MS_STRICTATIME,
    sync: MS_SYNCHRONOUS,
  }),
);

/** Words that clear a flag (the defaults, spelled out). */
const CLEAR = new Map<string, number>(
  Object.entries({
    async: MS_SYNCHRONOUS,
    atime: MS_NOATIME,
    dev: MS_NODEV,
    diratime: MS_NODIRATIME,
    exec: MS_NOEXEC,
    loud: MS_SILENT,
    noacl: MS_POSIXACL,
    noiversion: MS_I_VERSION,
    nolazytime: MS_LAZYTIME,
    nomand: MS_MANDLOCK,
    norelatime: MS_RELATIME,
    nostrictatime: MS_STRICTATIME,
    rw: MS_RDONLY,
    suid: MS_NOSUID,
  }),
);

/** Propagation changes need a mount(2) call of their own, after the mount itself. */
const PROPAGATION = new Map<string, number>(
  Object.entries({
    private: MS_PRIVATE,
    shared: MS_SHARED,
    slave: MS_SLAVE,
    unbindable: MS_UNBINDABLE,
    rprivate: MS_PRIVATE | MS_REC,
    rshared: MS_SHARED | MS_REC,
    rslave: MS_SLAVE | MS_REC,
    runbindable: MS_UNBINDABLE | MS_REC,
  }),
);

export interface MountOptions {
  flags: number;
  /** Propagation flags (MS_PRIVATE, ... possibly with MS_REC); 0 for none. */
  propagation: number;
  /** The filesystem's own options, comma-joined in the order given. */
  data: string;
}

export function parseMountOptions(options: readonly string[]): MountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const option of options) {
    const set = SET.get(option);
    const clear = CLEAR.get(option);
    const change = PROPAGATION.get(option);
    if (set !== undefined) flags |= set;
    else if (clear !== undefined) flags &= ~clear;
    else if (change !== undefined) propagation |= change;
    else if (option) data.push(option);
  }
  return { flags, propagation, data: data.join(',') };
}
