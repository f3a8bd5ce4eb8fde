// Writes a plan out as a directory tree and packs it as an uncompressed newc
// cpio archive: the kernel unpacks an uncompressed initrd noticeably faster
// under TCG than a gzip one, and RAM is not the constraint here.
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { haveCommand, run } from '../exec';
import type { Entry } from './plan';

async function writeEntry(root: string, e: Entry, canStrip: boolean): Promise<void> {
  const dest = path.join(root, e.dest);
  mkdirSync(path.dirname(dest), { recursive: true });
  switch (e.kind) {
    case 'dir':
      mkdirSync(dest, { recursive: true });
      chmodSync(dest, e.mode ?? 0o755);
      return;
    case 'symlink':
      symlinkSync(e.target, dest);
      return;
    case 'text':
      writeFileSync(dest, e.text);
      chmodSync(dest, e.mode ?? 0o644);
      return;
    case 'file':
      if (e.strip && canStrip) await run('strip', ['--strip-all', '-o', dest, e.source]);
      else copyFileSync(e.source, dest);
      chmodSync(dest, e.mode ?? 0o644);
      return;
  }
}

export async function stageTree(root: string, entries: Entry[]): Promise<void> {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const canStrip = await haveCommand('strip');
  for (const e of entries) await writeEntry(root, e, canStrip);
}

/** Packs `root` into `out`, every file owned by root:root. */
export async function packCpio(root: string, out: string): Promise<void> {
  const fd = openSync(out, 'w');
  try {
    // GNU cpio can force the owner; busybox cpio (always there) keeps the builder's ids.
    const pack = (await haveCommand('cpio'))
      ? 'cpio -o -H newc -R 0:0 --quiet'
      : 'busybox cpio -o -H newc 2>/dev/null';
    await run('sh', ['-c', `find . -mindepth 1 | LC_ALL=C sort | ${pack}`], { cwd: root, stdoutFd: fd });
  } finally {
    closeSync(fd);
  }
}
