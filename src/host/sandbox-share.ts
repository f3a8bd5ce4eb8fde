// The host side of kataShared: a directory qemu exports over virtio-9p, holding
// one directory per container with its root filesystem, as a Kata 1.x runtime
// lays it out. The guest sees it at GUEST_SHARED_DIR.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeBusyboxRootfs } from './busybox';
import { GUEST_SHARED_DIR } from './container-spec';

export class SandboxShare {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes a busybox root filesystem for `name`; returns its path in the guest. */
  async addBusyboxRootfs(name: string): Promise<string> {
    await writeBusyboxRootfs(path.join(this.dir, name, 'rootfs'));
    return this.guestPath(name, 'rootfs');
  }

  guestPath(...parts: string[]): string {
    return path.posix.join(GUEST_SHARED_DIR, ...parts);
  }

  hostPath(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
