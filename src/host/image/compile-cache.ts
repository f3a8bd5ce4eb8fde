// Makes the agent's V8 code cache for the image: the machine's node (the one the
// image ships) loads the agent with the cache hook in produce mode.
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../exec';
import { COMPILE_CACHE_HOOK, GUEST_COMPILE_CACHE_DIR } from './layout';
import type { Entry } from './plan';

export interface CompileCache {
  entries: Entry[];
  /** Temporary directory holding the cache files until the image is staged. */
  dir: string;
}

export async function makeCompileCache(repo: string, node: string): Promise<CompileCache> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-compile-cache-'));
  // --version loads every module the agent's entry imports, and returns before serving.
  await run(
    node,
    ['-r', path.join(repo, COMPILE_CACHE_HOOK), path.join(repo, 'dist/src/cli/agent.js'), '--version'],
    {
      env: { ...process.env, KATA_COMPILE_CACHE_PRODUCE: dir },
    },
  );
  const entries = readdirSync(dir).map((name) => ({
    kind: 'file' as const,
    dest: path.join(GUEST_COMPILE_CACHE_DIR, name),
    source: path.join(dir, name),
    byContent: true,
  }));
  return { entries, dir };
}
