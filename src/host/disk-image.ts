// Raw ext4 disk images for hot-plugging, made and inspected with e2fsprogs
// without mounting anything on the host.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './exec';

/** An ext4 image of `sizeMiB` holding `files` (name → content) at its root. */
export async function makeExt4Image(
  file: string,
  sizeMiB: number,
  files: Record<string, string>,
): Promise<void> {
  const content = mkdtempSync(path.join(os.tmpdir(), 'kata-disk-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(content, name), text);
    rmSync(file, { force: true });
    await run('mkfs.ext4', ['-q', '-F', '-L', 'kata-disk', '-d', content, file, `${sizeMiB}M`]);
  } finally {
    rmSync(content, { recursive: true, force: true });
  }
}

/** A file's content read straight from an ext4 image (debugfs), e.g. after the guest wrote it. */
export async function readFromExt4Image(file: string, name: string): Promise<string> {
  const { stdout } = await run('debugfs', ['-R', `cat /${name}`, file]);
  return stdout;
}
