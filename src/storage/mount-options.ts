// Mount options as the host sends them ("ro", "nodev", "size=64m", ...): flag words
// become mount(2) flags, everything else is handed to the filesystem as data.
import * as k from '../guest/kernel';

/** Words that set a flag. */
const SET = new Map<string, number>(
  Object.entries({
    acl: k.MS_POSIXACL,
    bind: k.MS_BIND,
    defaults: 0,
    dirsync: k.MS_DIRSYNC,
    iversion: k.MS_I_VERSION,
    lazytime: k.MS_LAZYTIME,
    mand: k.MS_MANDLOCK,
    noatime: k.MS_NOATIME,
    nodev: k.MS_NODEV,
    nodiratime: k.MS_NODIRATIME,
    noexec: k.MS_NOEXEC,
    nosuid: k.MS_NOSUID,
    nosymfollow: k.MS_NOSYMFOLLOW,
    rbind: k.MS_BIND | k.MS_REC,
    relatime: k.MS_RELATIME,
    remount: k.MS_REMOUNT,
    ro: k.MS_RDONLY,
    silent: k.MS_SILENT,
    strictatime: k.MS_STRICTATIME,
    sync: k.MS_SYNCHRONOUS,
  }),
);

/** Words that clear a flag (the defaults, spelled out). */
const CLEAR = new Map<string, number>(
  Object.entries({
    async: k.MS_SYNCHRONOUS,
    atime: k.MS_NOATIME,
    dev: k.MS_NODEV,
    diratime: k.MS_NODIRATIME,
    exec: k.MS_NOEXEC,
    loud: k.MS_SILENT,
    noacl: k.MS_POSIXACL,
    noiversion: k.MS_I_VERSION,
    nolazytime: k.MS_LAZYTIME,
    nomand: k.MS_MANDLOCK,
    norelatime: k.MS_RELATIME,
    nostrictatime: k.MS_STRICTATIME,
    rw: k.MS_RDONLY,
    suid: k.MS_NOSUID,
  }),
);

/** Propagation changes need a mount(2) call of their own, after the mount itself. */
const PROPAGATION = new Map<string, number>(
  Object.entries({
    private: k.MS_PRIVATE,
    shared: k.MS_SHARED,
    slave: k.MS_SLAVE,
    unbindable: k.MS_UNBINDABLE,
    rprivate: k.MS_PRIVATE | k.MS_REC,
    rshared: k.MS_SHARED | k.MS_REC,
    rslave: k.MS_SLAVE | k.MS_REC,
    runbindable: k.MS_UNBINDABLE | k.MS_REC,
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

/** `key=value` options as a map; words without '=' or with an empty key are skipped. */
export function parseKeyValueOptions(options: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const option of options) {
    const eq = option.indexOf('=');
    if (eq > 0) result.set(option.slice(0, eq), option.slice(eq + 1));
  }
  return result;
}

/** Flags a bind mount only takes on a remount of the new bind. */
export const BIND_REMOUNT_FLAGS =
  k.MS_RDONLY | k.MS_NOSUID | k.MS_NODEV | k.MS_NOEXEC | k.MS_NOATIME | k.MS_NODIRATIME | k.MS_RELATIME;
