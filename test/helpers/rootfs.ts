// A busybox root filesystem for test containers, built once per test process from
// the busybox-static binary: relative applet links (absolute ones would point at
// the host), a few directories and a user database.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BUSYBOX = process.env.BUSYBOX ?? '/bin/busybox';
let cached: string | undefined;

export function busyboxRootfs(): string {
  if (cached) return cached;
  const root = mkdtempSync(path.join(os.tmpdir(), 'kata-agent-rootfs-'));
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root', 'home/tester']) {
    mkdirSync(path.join(root, d), { recursive: true });
  }
  copyFileSync(BUSYBOX, path.join(root, 'bin/busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
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
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  cached = root;
  return root;
}
