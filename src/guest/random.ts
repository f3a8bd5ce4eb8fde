// ReseedRandomDev: the host hands the guest entropy at boot, when the guest's own
// pool is thin. The bytes are mixed into the pool, credited, and the CRNG reseeded.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Logger } from '../logging/logger';
import { native, type NativeBinding } from '../native';
import { invalidArgument } from '../common/errors';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';

/** The kernel accepts no more than this per RNDADDENTROPY; the rest is still mixed in by the write. */
const MAX_CREDITED_BYTES = 1024 * 1024;

export type EntropyIoctls = Pick<NativeBinding, 'addEntropy' | 'reseedCrng'>;

export async function reseedRandom(
  paths: SystemPaths,
  data: Buffer,
  log: Logger,
  ioctls: EntropyIoctls = lazyNative(),
): Promise<void> {
  if (!data || data.length === 0) throw invalidArgument('missing entropy data');
  const handle = await open(paths.randomDevice, constants.O_WRONLY);
  try {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written, null);
      if (bytesWritten === 0) throw new Error(`short write to ${paths.randomDevice}`);
      written += bytesWritten;
    }
    // Crediting and reseeding need privileges and a real random device; the write alone still helps.
    try {
      ioctls.addEntropy(handle.fd, data.subarray(0, MAX_CREDITED_BYTES));
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not credit entropy');
    }
    try {
      ioctls.reseedCrng(handle.fd);
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not reseed the CRNG');
    }
  } finally {
    await handle.close();
  }
}

function lazyNative(): EntropyIoctls {
  return {
    addEntropy: (fd, data) => native().addEntropy(fd, data),
    reseedCrng: (fd) => native().reseedCrng(fd),
  };
}
