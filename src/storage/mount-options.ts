// Mount options as the host sends them ("ro", "nodev", "size=64m", ...): key=value
// options and the flags a bind mount needs a remount for. Flag words are parsed in
// src/common/mount-flags.ts.
import {
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_RELATIME,
} from '../common/mount-flags';

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
  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME;
