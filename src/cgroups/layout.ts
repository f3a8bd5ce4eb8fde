// Which cgroup layout the guest has. A guest whose init is systemd mounts the
// "hybrid" layout: v1 controllers at /sys/fs/cgroup/<controller> and cgroup2
// at /sys/fs/cgroup/unified. crun refuses that layout as soon as the cgroup2
// half holds a controller ("cgroups in hybrid mode not supported"); runc
// manages the v1 half and leaves cgroup2 alone.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SystemPaths } from '../common/system-paths';

export type CgroupLayout =
  | { kind: 'v1' }
  | { kind: 'unified' }
  | { kind: 'hybrid'; /** Controllers enabled in the cgroup2 half. */ v2Controllers: string[] };

/** Reads the layout under `sysRoot`'s /sys/fs/cgroup. */
export function detectCgroupLayout(sysRoot = '/'): CgroupLayout {
  const root = new SystemPaths(sysRoot).cgroupRoot;
  if (existsSync(path.join(root, 'cgroup.controllers'))) return { kind: 'unified' };
  const unified = path.join(root, 'unified', 'cgroup.controllers');
  if (!existsSync(unified)) return { kind: 'v1' };
  const v2Controllers = readFileSync(unified, 'utf8').split(/\s+/).filter(Boolean);
  return { kind: 'hybrid', v2Controllers };
}
