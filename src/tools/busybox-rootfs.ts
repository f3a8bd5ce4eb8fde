// A busybox root filesystem from the busybox-static binary, for the demo, the
// benchmarks and the tests: relative applet links (absolute ones would point at
// the host's binary), the usual mount points and a small user database.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DEFAULT_BUSYBOX = '/bin/busybox';

export function buildBusyboxRootfs(root: string, busybox = DEFAULT_BUSYBOX): void {
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root', 'home/tester']) {
    mkdirSync(path.join(root, d), { recursive: true });
  }
  copyFileSync(busybox, path.join(root, 'bin/busybox'));
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') symlinkSync('busybox', path.join(root, 'bin', applet));
  }
  writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000:tester:/home/tester:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  writeFileSync(
    path.join(root, 'etc/group'),
    'root:x:0:\nusers:x:100:tester\ntester:x:1000:\nnogroup:x:65534:\n',
  );
}
