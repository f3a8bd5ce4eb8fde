// Where the host-side VM tooling keeps things: the repository root (found from
// this file, so it works from src/ and dist/) and the VM cache (.vm/ beside
// package.json unless KATA_VM_CACHE says otherwise).
import { existsSync } from 'node:fs';
import path from 'node:path';

export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src', 'host'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = parent;
  }
}

export function vmCacheDir(): string {
  return process.env.KATA_VM_CACHE ? path.resolve(process.env.KATA_VM_CACHE) : path.join(repoRoot(), '.vm');
}
