// Sandbox scratch space on the guest's own filesystem: a directory with the
// requested mode ("mode=0750"; default 0777), removed when its last user goes.
import { chmod, mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { errorText } from '../../common/error-text';
import { internal, invalidArgument } from '../../common/errors';
import { parseKeyValueOptions } from '../mount-options';
import type { StorageHandler } from './types';

export const localStorageHandler: StorageHandler = {
  drivers: ['local'],
  async setup(storage, target) {
    const modeText = parseKeyValueOptions(storage.options).get('mode') ?? '0777';
    if (!/^0?[0-7]{1,4}$/.test(modeText)) {
      throw invalidArgument(`local storage ${target}: mode ${JSON.stringify(modeText)} is not an octal mode`);
    }
    const mode = parseInt(modeText, 8);
    let created: string | undefined;
    try {
      created = await mkdir(target, { recursive: true, mode });
      // mkdir's mode passes through the umask; the requested mode is exact.
      await chmod(target, mode);
    } catch (err) {
      throw internal(`Could not create local storage ${target}: ${errorText(err)}`);
    }
    return async () => {
      if (!created) return;
      await rm(target, { recursive: true, force: true });
      // Parents the storage created go too, while nothing else lives in them.
      for (let dir = target; dir !== created && dir !== path.dirname(dir);) {
        dir = path.dirname(dir);
        try {
          await rmdir(dir);
        } catch {
          return;
        }
      }
    };
  },
};
