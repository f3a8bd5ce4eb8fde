// Every guest path the sandbox and container code writes, under config.guestRoot
// ("" in a guest) so that tests can relocate all of them into a temporary tree.
import path from 'node:path';

/** The directory the host shares container rootfs and volumes through. */
const SHARED_CONTAINERS_DIR = '/run/kata-containers/shared/containers';
/** Agent-managed guest directories: mount sources under them follow guestRoot. */
const KATA_RUN_DIR = '/run/kata-containers';

export class GuestPaths {
  constructor(readonly guestRoot: string) {}

  /** A guest absolute path, relocated under guestRoot. */
  guest(p: string): string {
    return this.guestRoot ? path.join(this.guestRoot, p) : p;
  }

  /** Root.Path: absolute, or relative to the container's shared directory. */
  rootfs(containerId: string, rootPath: string): string {
    if (path.isAbsolute(rootPath)) return this.guest(rootPath);
    return this.guest(path.join(SHARED_CONTAINERS_DIR, containerId, rootPath));
  }

  /** Mount sources the agent or host placed under /run/kata-containers follow guestRoot. */
  mountSource(source: string): string {
    return source.startsWith(KATA_RUN_DIR + '/') ? this.guest(source) : source;
  }

  bundle(containerId: string): string {
    return this.guest(path.join('/run/kata-agent/bundles', containerId));
  }

  runtimeState(runtime: string): string {
    return this.guest(path.join('/run/kata-agent/runtime', runtime));
  }

  /** Console sockets: a short name, unix socket paths are limited to 107 bytes. */
  consoleSocket(seq: number): string {
    return this.guest(`/run/kata-agent/console/${seq}.sock`);
  }

  consoleDir(): string {
    return this.guest('/run/kata-agent/console');
  }

  sandboxNs(type: string): string {
    return this.guest(path.join('/run/sandbox-ns', type));
  }

  /** Where the DNS file is written before being bind-mounted over /etc/resolv.conf. */
  sandboxResolvConf(): string {
    return this.guest('/run/kata-containers/sandbox/resolv.conf');
  }

  resolvConf(): string {
    return this.guest('/etc/resolv.conf');
  }
}
