// busybox-static as the guest's userland and as a container root filesystem.
// Applet links are relative: `busybox --install -s` would point them at host paths.
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './exec';
import { sharedLibraries } from './image/elf';

export async function findBusybox(): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'command -v busybox']);
  const binary = stdout.trim();
  // A dynamic busybox would need its libraries in every container: insist on busybox-static.
  if ((await sharedLibraries(binary)).length) {
    throw new Error(`${binary} is not statically linked: install busybox-static`);
  }
  return binary;
}

/** Applet paths relative to /, e.g. "bin/sh", "usr/bin/awk", "sbin/modprobe". */
export async function appletPaths(busybox: string): Promise<string[]> {
  const { stdout } = await run(busybox, ['--list-full']);
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.includes('..'));
}

/** The link target for an applet at `applet` pointing at `binary` (both relative to /). */
export function relativeLink(applet: string, binary: string): string {
  return path.relative(path.dirname(applet), binary) || path.basename(binary);
}

/**
 * A minimal container root filesystem: busybox with every applet in /bin, and
 * the directories an OCI runtime mounts over.
 */
export async function writeBusyboxRootfs(rootfs: string): Promise<void> {
  const busybox = await findBusybox();
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'run', 'mnt']) {
    mkdirSync(path.join(rootfs, d), { recursive: true });
  }
  copyFileSync(busybox, path.join(rootfs, 'bin', 'busybox'));
  chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of await appletPaths(busybox)) {
    const name = path.basename(applet);
    if (name === 'busybox') continue;
    try {
      symlinkSync('busybox', path.join(rootfs, 'bin', name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\n');
}
