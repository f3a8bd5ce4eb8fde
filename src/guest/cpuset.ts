// CPU lists ("0-3,5") and the cpuset cgroups of containers. The host speaks in
// host CPU numbers; a guest may have fewer vCPUs online, and the kernel refuses a
// cpuset naming an offline CPU or one its parent cgroup does not allow.
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { isCode, readAttribute, writeAttribute } from './sysfs-io';

/** A container cgroup (path relative to the hierarchy root), optionally with its own cpuset to keep. */
export type CpusetTarget = string | { path: string; keepOwnCpuset: boolean };

export class CpusetWidener {
  constructor(private readonly paths: SystemPaths) {}

  /**
   * Lets every container use all online CPUs: parents first (a child may only name
   * CPUs its parent allows), each parent once, then the container itself unless it
   * keeps its own cpuset.
   */
  async widen(targets: readonly CpusetTarget[]): Promise<void> {
    if (targets.length === 0) return;
    const online = await readAttribute(this.paths.onlineCpus);
    const root = await this.hierarchyRoot();
    const done = new Set<string>();
    for (const target of targets) {
      const { path: cgroup, keepOwnCpuset } =
        typeof target === 'string' ? { path: target, keepOwnCpuset: false } : target;
      const relative = path.posix.normalize('/' + cgroup).slice(1);
      if (!relative || relative.split('/').includes('..')) throw new Error(`invalid cgroup path ${cgroup}`);
      const parts = relative.split('/');
      for (let depth = 1; depth < parts.length; depth++) {
        const parent = path.join(root.dir, ...parts.slice(0, depth));
        if (done.has(parent)) continue;
        await this.write(parent, online, root.optional, 'Could not update parent cpuset cgroup');
        done.add(parent);
      }
      if (!keepOwnCpuset) {
        await this.write(
          path.join(root.dir, relative),
          online,
          root.optional,
          'Could not update cpuset cgroup',
        );
      }
    }
  }

  /** cgroup v1 has a cpuset hierarchy of its own; on v2 the file exists only where the controller is enabled. */
  private async hierarchyRoot(): Promise<{ dir: string; optional: boolean }> {
    try {
      await access(this.paths.cpusetV1Root);
      return { dir: this.paths.cpusetV1Root, optional: false };
    } catch {
      return { dir: this.paths.cgroupRoot, optional: true };
    }
  }

  private async write(dir: string, cpus: string, optional: boolean, what: string): Promise<void> {
    try {
      await writeAttribute(path.join(dir, 'cpuset.cpus'), cpus);
    } catch (err) {
      if (optional && isCode(err, 'ENOENT')) return;
      throw new Error(`${what} (${dir}): ${errorText(err)}`);
    }
  }
}
