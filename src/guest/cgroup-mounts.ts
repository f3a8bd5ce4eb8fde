// Cgroup filesystems for a PID 1 agent. By default (as 1.x) one cgroup v1
// hierarchy per enabled controller under a read-only tmpfs at /sys/fs/cgroup;
// with agent.unified_cgroup_hierarchy the cgroup2 hierarchy there instead, with
// every available controller enabled for its children.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';
import { isMounted, type MountFn } from './pid1-mounts';
import { errorText } from '../common/error-text';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_RELATIME, MS_REMOUNT } from '../common/mount-flags';
import { SystemPaths } from '../common/system-paths';

/** Enabled controllers from /proc/cgroups ("#subsys_name hierarchy num_cgroups enabled"). */
export function enabledControllers(procCgroups: string): string[] {
  const names: string[] = [];
  for (const line of procCgroups.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name, , , enabled] = line.trim().split(/\s+/);
    if (name && enabled === '1') names.push(name);
  }
  return names;
}

/** The subtree_control line enabling every controller listed in cgroup.controllers. */
export function subtreeControlLine(controllers: string): string {
  return controllers
    .split(/\s+/)
    .filter(Boolean)
    .map((c) => `+${c}`)
    .join(' ');
}

interface CgroupMountOptions {
  root: string;
  unified: boolean;
  log: Logger;
  mount?: MountFn;
  /**
   * Write cgroup.subtree_control and memory.use_hierarchy. Only a guest owns its
   * cgroup roots; tests sharing the machine's hierarchies turn this off.
   */
  configure?: boolean;
}

export function mountCgroups(options: CgroupMountOptions): void {
  if (options.unified) mountUnified(options);
  else mountV1(options);
}

function mountUnified(options: CgroupMountOptions): void {
  const { root, log } = options;
  const mount = options.mount ?? native().mount;
  const dir = new SystemPaths(root).cgroupRoot;
  if (!isMounted(root, '/sys/fs/cgroup', 'cgroup2')) {
    fs.mkdirSync(dir, { recursive: true });
    const flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME;
    mount('cgroup2', dir, 'cgroup2', flags, 'nsdelegate');
  }
  if (options.configure === false) return;
  const line = subtreeControlLine(fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8'));
  // One by one: a controller the kernel refuses must not keep the others off.
  for (const word of line.split(' ').filter(Boolean)) {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), word);
    } catch (err) {
      log.warn({ controller: word.slice(1), error: errorText(err) }, 'cannot enable cgroup controller');
    }
  }
  log.debug({ controllers: line }, 'cgroup2 mounted');
}

function mountV1(options: CgroupMountOptions): void {
  const { root, log } = options;
  const mount = options.mount ?? native().mount;
  let procCgroups: string;
  try {
    procCgroups = fs.readFileSync(new SystemPaths(root).proc('cgroups'), 'utf8');
  } catch {
    log.warn('no /proc/cgroups: no cgroup hierarchies mounted');
    return;
  }
  const controllers = enabledControllers(procCgroups);
  const base = new SystemPaths(root).cgroupRoot;
  const common = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (!isMounted(root, '/sys/fs/cgroup', 'tmpfs')) mount('tmpfs', base, 'tmpfs', common, 'mode=755');
  const mounted: string[] = [];
  for (const name of controllers) {
    const dir = path.join(base, name);
    try {
      fs.mkdirSync(dir, { recursive: true });
      mount('cgroup', dir, 'cgroup', common | MS_RELATIME, name);
      mounted.push(name);
    } catch (err) {
      // 1.x gave up on the first failure; one odd controller should not cost the others.
      log.warn({ controller: name, error: errorText(err) }, 'cannot mount cgroup hierarchy');
    }
  }
  mount(null, base, null, MS_REMOUNT | MS_RDONLY | common, 'mode=755');
  if (options.configure !== false && mounted.includes('memory')) {
    // Older kernels default to flat memory accounting; newer ones only accept 1.
    const file = path.join(base, 'memory/memory.use_hierarchy');
    try {
      if (fs.readFileSync(file, 'utf8').trim() !== '1') fs.writeFileSync(file, '1');
    } catch (err) {
      log.warn({ error: errorText(err) }, 'cannot turn on memory.use_hierarchy');
    }
  }
  log.debug({ controllers: mounted.join(',') }, 'cgroup v1 hierarchies mounted');
}
