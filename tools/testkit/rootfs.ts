// The busybox rootfs of test containers, built once per test process.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBusyboxRootfs, DEFAULT_BUSYBOX } from '../../src/tools/busybox-rootfs';

let cached: string | undefined;

export function busyboxRootfs(): string {
  if (cached) return cached;
  const root = mkdtempSync(path.join(os.tmpdir(), 'kata-agent-rootfs-'));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  buildBusyboxRootfs(root, process.env.BUSYBOX ?? DEFAULT_BUSYBOX);
  cached = root;
  return root;
}
