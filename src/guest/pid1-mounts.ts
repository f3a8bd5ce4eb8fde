// The filesystems a PID 1 agent mounts before anything else, as 1.x does, under
// a root prefix ("" in a guest) so that tests can run them in a private mount
// namespace on a scratch directory. A filesystem already mounted at its place
// (an initrd's /init may have done it) is left alone.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';
import { errorText } from '../common/error-text';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID } from '../common/mount-flags';
import { SystemPaths } from '../common/system-paths';

export type MountFn = (
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null,
) => void;

interface MountStep {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data: string;
  /** Failure is expected in some guests (devtmpfs already mounted by the kernel). */
  optional?: boolean;
}

export function basicMounts(): MountStep[] {
  return [
    { source: 'proc', target: '/proc', fstype: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: '' },
    { source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: '' },
    {
      source: 'dev',
      target: '/dev',
      fstype: 'devtmpfs',
      flags: MS_NOSUID,
      data: 'mode=0755',
      optional: true,
    },
    { source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV, data: 'mode=1777' },
    // A private ptmx readable by all, so /dev/ptmx can point at it.
    {
      source: 'devpts',
      target: '/dev/pts',
      fstype: 'devpts',
      flags: MS_NOSUID | MS_NOEXEC,
      data: 'newinstance,ptmxmode=0666,mode=0620',
    },
    { source: 'tmpfs', target: '/run', fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV, data: 'mode=0755' },
  ];
}

interface MountInfo {
  mountPoint: string;
  fstype: string;
  options: string;
}

/** /proc/self/mountinfo lines: "id parent maj:min root mountpoint options [tags] - fstype source super". */
export function parseMountInfo(text: string): MountInfo[] {
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6) continue;
    out.push({ mountPoint: unescape(fields[4]), fstype: fields[dash + 1], options: fields[5] });
  }
  return out;
}

/** Our mounts, from the proc under `root` (empty before proc is mounted). */
export function currentMounts(root: string): MountInfo[] {
  try {
    return parseMountInfo(fs.readFileSync(new SystemPaths(root).selfMountInfo, 'utf8'));
  } catch {
    return [];
  }
}

export function isMounted(root: string, target: string, fstype: string): boolean {
  const full = path.join(root || '/', target);
  return currentMounts(root).some((m) => m.mountPoint === full && m.fstype === fstype);
}

/** Mounts `step` under `root`, creating the target; false when an optional step failed. */
export function mountStep(
  root: string,
  step: MountStep,
  log: Logger,
  mount: MountFn = native().mount,
): boolean {
  const target = path.join(root || '/', step.target);
  if (isMounted(root, step.target, step.fstype)) {
    log.debug({ target, fstype: step.fstype }, 'already mounted');
    return true;
  }
  try {
    fs.mkdirSync(target, { recursive: true, mode: 0o755 });
    mount(step.source, target, step.fstype, step.flags, step.data || null);
    log.debug({ target, fstype: step.fstype }, 'mounted');
    return true;
  } catch (err) {
    if (!step.optional) throw new Error(`mounting ${step.fstype} on ${target}: ${(err as Error).message}`);
    log.info({ target, fstype: step.fstype, error: errorText(err) }, 'optional mount skipped');
    return false;
  }
}

/** /dev/ptmx opens the devpts instance mounted at /dev/pts (bound over it: nothing in devtmpfs changes). */
export function bindPtmx(root: string, log: Logger, mount: MountFn = native().mount): void {
  const dev = new SystemPaths(root).dev();
  const ptmx = path.join(dev, 'ptmx');
  const target = path.join(dev, 'pts/ptmx');
  if (!fs.existsSync(ptmx)) fs.writeFileSync(ptmx, '');
  mount(target, ptmx, null, MS_BIND, null);
  log.debug({ ptmx }, 'ptmx bound to the devpts instance');
}
