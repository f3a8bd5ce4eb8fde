// The guest-cost benchmark's floor program (floor.c beside this file), built
// static so the image carries it without libraries: /init runs it in place of
// the agent with kata_vm_mode=floor.
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { run } from '../exec';

export const GUEST_FLOOR = '/opt/kata-vm/floor';

/** Compiles the floor into `outDir` unless a build newer than its source is there; returns its path. */
export async function buildFloor(repo: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, 'floor');
  const source = path.join(repo, 'src', 'host', 'image', 'floor.c');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out;
  await run('cc', ['-static', '-Os', '-s', '-Wall', '-o', `${out}.tmp`, source]);
  renameSync(`${out}.tmp`, out);
  return out;
}
