// crun and runc copy themselves into a sealed memfd and re-execute on every call,
// so that a container cannot overwrite the runtime binary through /proc/<pid>/exe.
// A read-only bind mount of the binary gives the same protection; with the marker
// variable set the runtimes trust it and skip the copy, which halves the cost of
// every short call (start, kill, delete).
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { MS_BIND, MS_RDONLY, MS_REMOUNT } from '../common/mount-flags';
import { native } from '../native';
import { errorText } from '../common/error-text';

const CLONED_BINARY_ENV = '_LIBCONTAINER_CLONED_BINARY';

interface ExposedBinary {
  path: string;
  env: NodeJS.ProcessEnv;
  /** Unmounts it. */
  release(): void;
}

/** Finds an executable in PATH. */
export function which(name: string): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** A read-only bind mount of the runtime binary under `dir`, or undefined (then the runtime copies itself). */
export function exposeReadOnly(name: string, dir: string, log: Logger): ExposedBinary | undefined {
  const source = which(name);
  if (!source) return undefined;
  const n = native();
  const target = path.join(dir, path.basename(source));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(target, '', { mode: 0o500 });
    n.mount(source, target, null, MS_BIND, null);
  } catch (err) {
    log.info({ error: errorText(err) }, 'runtime binary not exposed read-only');
    rmSync(target, { force: true });
    return undefined;
  }
  try {
    n.mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
  } catch (err) {
    log.info({ error: errorText(err) }, 'runtime binary not exposed read-only');
    n.umount2(target, n.constants.MNT_DETACH);
    rmSync(target, { force: true });
    return undefined;
  }
  return {
    path: target,
    env: { [CLONED_BINARY_ENV]: '1' },
    release() {
      try {
        n.umount2(target, n.constants.MNT_DETACH);
      } catch {
        // already gone
      }
      rmSync(target, { force: true });
    },
  };
}
