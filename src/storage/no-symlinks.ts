// Mount points come from the host, and the directories on their way may be
// writable by containers (shared paths): a container could plant a symlink
// that sends a mount outside the guest's tree. Every existing component of a
// mount point below the guest root must be a real directory, not a link.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { failedPrecondition } from '../common/errors';

/** Throws FAILED_PRECONDITION if any existing component of `relative` (below `root`) is a symbolic link. */
export async function refuseSymlinksBelow(root: string, relative: string, what: string): Promise<void> {
  let current = root;
  for (const part of relative.split('/').filter(Boolean)) {
    current = path.join(current, part);
    const info = await lstat(current).catch(() => undefined);
    if (!info) return; // The rest is created by the driver, as real directories.
    if (info.isSymbolicLink()) {
      throw failedPrecondition(
        `${what}: ${path.posix.join('/', path.relative(root, current))} is a symbolic link; mount points may not pass through links`,
      );
    }
  }
}
