// An image is first described as a list of entries (the plan), then hashed to
// decide whether the cached initrd is current, then written out. Keeping the
// description pure makes "rebuild only when inputs change" exact.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export type Entry =
  /** A host file copied to `dest`. `byContent`: hash its bytes, not just its size and mtime. */
  | { kind: 'file'; dest: string; source: string; mode?: number; strip?: boolean; byContent?: boolean }
  | { kind: 'text'; dest: string; text: string; mode?: number }
  | { kind: 'symlink'; dest: string; target: string }
  | { kind: 'dir'; dest: string; mode?: number };

export class ImagePlan {
  private readonly entries = new Map<string, Entry>();

  add(entry: Entry): void {
    const dest = entry.dest.replace(/^\/+/, '');
    if (!dest) throw new Error('image entry without a path');
    const previous = this.entries.get(dest);
    // The same library reached from two binaries is fine; two different contents are not.
    if (previous && JSON.stringify(previous) !== JSON.stringify({ ...entry, dest })) {
      throw new Error(`image path ${dest} planned twice`);
    }
    this.entries.set(dest, { ...entry, dest });
  }

  list(): Entry[] {
    return [...this.entries.values()].sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  }

  /** Changes whenever anything that ends up in the image could change. */
  hash(extra: string): string {
    const h = createHash('sha256');
    h.update(extra);
    for (const e of this.list()) {
      h.update(JSON.stringify(e));
      if (e.kind === 'file') {
        if (e.byContent) h.update(readFileSync(e.source));
        else {
          const st = statSync(e.source);
          h.update(`${st.size}:${st.mtimeMs}:${st.ino}`);
        }
      }
    }
    return h.digest('hex');
  }
}
