// The generic mount every driver ends with: prepare the mount point the way the
// filesystem type needs, mount with the parsed options, and know how to undo it.
import { constants } from 'node:fs';
import { mkdir, open, realpath, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MS_BIND, MS_REMOUNT, parseMountOptions } from '../common/mount-flags';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { isCode, writeAttribute } from '../guest/sysfs-io';
import { native } from '../native';
import { internal, invalidArgument } from '../common/errors';
import { BIND_REMOUNT_FLAGS, parseKeyValueOptions } from './mount-options';
import { withSpan } from '../tracing/span-api';

/** The two system calls, so that tests could observe them; the addon's by default. */
export interface MountSyscalls {
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
}

interface MountRequest {
  /** Device node, share tag or path, as the filesystem type expects. */
  source: string;
  /** Local path of the mount point. */
  target: string;
  fstype: string;
  options: readonly string[];
}

/** Undoes a mount: unmounts, then removes the mount point if the mount created it. */
export type Unmount = () => Promise<void>;

/** Filesystems whose source is not a path (a tag, a pseudo device name). */
const TAGGED = new Set(['9p', 'virtiofs', 'tmpfs', 'hugetlbfs']);

export class Mounter {
  constructor(
    private readonly paths: SystemPaths,
    private readonly sys: MountSyscalls = lazyNative(),
  ) {}

  mount(request: MountRequest): Promise<Unmount> {
    return withSpan('mount', { fstype: request.fstype, target: request.target }, () =>
      this.mountNow(request),
    );
  }

  private async mountNow(request: MountRequest): Promise<Unmount> {
    const { source, target, fstype } = request;
    if (!source) throw invalidArgument('need mount source');
    if (!target) throw invalidArgument('need mount destination');
    if (!fstype) throw invalidArgument('need mount FS type');
    const options = parseMountOptions(request.options);
    const bind = fstype === 'bind' || (options.flags & MS_BIND) !== 0;
    if (fstype === 'hugetlbfs') await this.reserveHugepages(options.data);

    // Paths are resolved (a /dev/disk/by-* link, a symlinked share); tags are used as given.
    const resolved = TAGGED.has(fstype) ? source : await resolveSource(source);
    let created: Created | undefined;
    if (bind && !TAGGED.has(fstype) && !(await stat(resolved)).isDirectory()) {
      created = await makeFile(target);
    } else {
      created = await makeDirectory(target);
    }

    try {
      this.sys.mount(resolved, target, fstype, options.flags, options.data);
      if (bind && options.flags & BIND_REMOUNT_FLAGS && !(options.flags & MS_REMOUNT)) {
        // A new bind mount ignores ro/nosuid/...: they take effect on a remount of it.
        this.sys.mount('', target, '', MS_REMOUNT | MS_BIND | (options.flags & BIND_REMOUNT_FLAGS), '');
      }
      if (options.propagation) this.sys.mount('', target, '', options.propagation, '');
    } catch (err) {
      await this.undo(target, created, false);
      throw internal(`Could not mount ${source} to ${target}: ${errorText(err)}`);
    }
    return () => this.undo(target, created, true);
  }

  private async undo(target: string, created: Created | undefined, mounted: boolean): Promise<void> {
    if (mounted) {
      try {
        this.sys.umount2(target, 0);
      } catch (err) {
        // A mount point that is already gone has nothing left to undo.
        if (!isCode(err, 'EINVAL') && !isCode(err, 'ENOENT')) {
          throw internal(`Could not unmount ${target}: ${errorText(err)}`);
        }
      }
    }
    if (created) await removeCreated(created);
  }

  /** hugetlbfs needs pages reserved first: size/pagesize of them, in the pool of that page size. */
  private async reserveHugepages(data: string): Promise<void> {
    const opts = parseKeyValueOptions(data.split(','));
    const pageSize = Number(opts.get('pagesize'));
    const size = Number(opts.get('size'));
    if (!Number.isSafeInteger(pageSize) || pageSize < 1024 || !Number.isSafeInteger(size) || size < 0) {
      throw internal(
        `Could not mount hugepages: need integer pagesize= and size= options in ${JSON.stringify(data)}`,
      );
    }
    const file = this.paths.hugepages(pageSize / 1024);
    try {
      await writeAttribute(file, String(Math.floor(size / pageSize)));
    } catch (err) {
      throw internal(`Could not mount hugepages: ${errorText(err)}`);
    }
  }
}

async function resolveSource(source: string): Promise<string> {
  try {
    return await realpath(source);
  } catch (err) {
    throw internal(`Could not resolve symlink for source ${source}: ${errorText(err)}`);
  }
}

/** What a mount created: the mount point and the topmost new directory above or at it. */
interface Created {
  leaf: string;
  top: string;
}

/** mkdir -p; says what it created (undefined if everything existed). */
async function makeDirectory(target: string): Promise<Created | undefined> {
  try {
    const top = await mkdir(target, { recursive: true, mode: 0o755 });
    return top === undefined ? undefined : { leaf: target, top };
  } catch (err) {
    throw internal(`Could not create destination mount point ${target}: ${errorText(err)}`);
  }
}

/** An empty file to bind a file onto. */
async function makeFile(target: string): Promise<Created | undefined> {
  const dirs = await makeDirectory(path.dirname(target));
  try {
    const handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    await handle.close();
    return { leaf: target, top: dirs?.top ?? target };
  } catch (err) {
    if (isCode(err, 'EEXIST')) return dirs;
    throw internal(`Could not create destination mount point ${target}: ${errorText(err)}`);
  }
}

/** Removes what the mount created, bottom up, only while empty: data is never deleted. */
async function removeCreated({ leaf, top }: Created): Promise<void> {
  for (let p = leaf; ; p = path.dirname(p)) {
    try {
      const info = await stat(p);
      if (info.isDirectory()) await rmdir(p);
      else if (info.size === 0) await unlink(p);
      else return;
    } catch {
      return; // not empty, busy or gone: leaving it is harmless
    }
    if (p === top || p === path.dirname(p)) return;
  }
}

function lazyNative(): MountSyscalls {
  return {
    mount: (...args) => native().mount(...args),
    umount2: (target, flags) => native().umount2(target, flags),
  };
}
