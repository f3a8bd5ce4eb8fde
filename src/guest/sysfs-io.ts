// Reading and writing kernel attribute files. Writes never create files: an
// attribute that does not exist means the kernel lacks the feature, and creating
// a regular file in its place would hide that.
import { constants } from 'node:fs';
import { open, readFile, readdir } from 'node:fs/promises';
import { errorText } from '../common/error-text';

/** The file's content without surrounding whitespace. */
export async function readAttribute(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}

/** The trimmed content, or undefined when the file does not exist. */
export async function readOptionalAttribute(file: string): Promise<string | undefined> {
  try {
    return await readAttribute(file);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** One write(2) of `value` (sysfs stores act per write), as `echo value > file` does. */
export async function writeAttribute(file: string, value: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_TRUNC | constants.O_NONBLOCK);
  try {
    const data = Buffer.from(value);
    const { bytesWritten } = await handle.write(data, 0, data.length, null);
    if (bytesWritten !== data.length) {
      throw new Error(`short write to ${file}: ${bytesWritten} of ${data.length} bytes`);
    }
  } finally {
    await handle.close();
  }
}

/** Directory entries, or [] when the directory does not exist. */
export async function listOptional(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return [];
    throw err;
  }
}

export function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Directory entries; a missing directory is an error naming it. */
export async function readdirStrict(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(naturalOrder);
  } catch (err) {
    throw new Error(`cannot list ${dir}: ${errorText(err)}`);
  }
}

/** "cpu2" before "cpu10". */
function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
