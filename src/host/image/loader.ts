// The DAX image form's loader: a small initramfs that loads what the kernel
// needs to reach an ext4 root on an nvdimm (Debian's kernel has ext4, nfit and
// nd_pmem as modules; Kata's own kernel has them built in and needs no loader),
// mounts it as the kernel would from `root=`, `rootflags=` and `rootfstype=`,
// and switches to it. Its files are freed at the switch: the guest keeps only
// what it maps from the nvdimm.
import path from 'node:path';
import { appletPaths } from '../busybox';
import { loadOrder, readModuleIndex } from './modules';
import type { GuestKernel } from './kernel';
import { ImagePlan } from './plan';
import { MARKER } from './init-script';

/** The nvdimm, its filesystem, and the console to report failures on. */
const LOADER_MODULES = ['virtio_pci', 'virtio_console', 'nfit', 'nd_pmem', 'crc32c_generic', 'ext4'];
const LOADER_APPLETS = new Set([
  'sh',
  'mount',
  'umount',
  'insmod',
  'usleep',
  'mkdir',
  'switch_root',
  'poweroff',
]);
const MODULES_FILE = '/etc/loader-modules';

/** The kernel parameters that make the guest boot the rootfs image (Kata 1.x's, verbatim). */
export const DAX_ROOT_PARAMS = [
  'root=/dev/pmem0p1',
  'rootflags=dax,data=ordered,errors=remount-ro',
  'ro',
  'rootfstype=ext4',
];

export function loaderScript(modulesFile: string): string {
  return `#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r ko; do insmod "$ko" 2>/dev/null; done < ${modulesFile}
root=
flags=
fstype=ext4
for a in $(cat /proc/cmdline); do
  case "$a" in
  root=*) root="\${a#root=}" ;;
  rootflags=*) flags="\${a#rootflags=}" ;;
  rootfstype=*) fstype="\${a#rootfstype=}" ;;
  esac
done
fail() {
  n=0
  until [ -c /dev/hvc0 ] || [ $n -ge 200 ]; do usleep 10000; n=$((n + 1)); done
  echo "${MARKER} loader: $1" > /dev/hvc0
  poweroff -f
}
[ -n "$root" ] || fail "no root= on the kernel command line"
n=0
until [ -b "$root" ] || [ $n -ge 500 ]; do usleep 10000; n=$((n + 1)); done
[ -b "$root" ] || fail "$root did not appear (is there an nvdimm, and nvdimm=on on the machine?)"
mkdir -p /newroot
mount -t "$fstype" -o "ro\${flags:+,$flags}" "$root" /newroot || fail "cannot mount $root with $flags"
umount /proc /sys /dev
exec switch_root /newroot /init
`;
}

export async function planLoader(kernel: GuestKernel, busybox: string): Promise<ImagePlan> {
  const plan = new ImagePlan();
  for (const dir of ['dev', 'proc', 'sys', 'etc', 'newroot'])
    plan.add({ kind: 'dir', dest: dir, mode: 0o755 });
  plan.add({ kind: 'file', dest: 'bin/busybox', source: busybox, mode: 0o755 });
  for (const applet of await appletPaths(busybox)) {
    const name = path.basename(applet);
    if (!LOADER_APPLETS.has(name)) continue;
    plan.add({ kind: 'symlink', dest: `bin/${name}`, target: 'busybox' });
  }
  const guestModules = `/lib/modules/${kernel.release}`;
  const order = loadOrder(readModuleIndex(path.join(kernel.modulesDir, 'modules.dep')), LOADER_MODULES);
  for (const ko of order) {
    plan.add({ kind: 'file', dest: path.join(guestModules, ko), source: path.join(kernel.modulesDir, ko) });
  }
  plan.add({
    kind: 'text',
    dest: MODULES_FILE,
    text: order.map((ko) => path.join(guestModules, ko)).join('\n') + '\n',
  });
  plan.add({ kind: 'text', dest: 'init', mode: 0o755, text: loaderScript(MODULES_FILE) });
  return plan;
}
