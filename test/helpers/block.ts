// Real block devices for the storage tests: an ext4 image on a loop device, and
// a look at the mount table. Mounting tests only run inside a private mount
// namespace (scripts/test.sh makes one), never in the machine's own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Whether this process runs in a mount namespace made below one of its ancestors
 * (as scripts/test.sh does with unshare). PID 1 is left out: in a container it may
 * live in a namespace of its own while we share the machine's.
 */
function inPrivateMountNamespace(): boolean {
  const ours = readlinkSync('/proc/self/ns/mnt');
  for (let pid = parentOf(process.pid); pid > 1; pid = parentOf(pid)) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) !== ours) return true;
    } catch {
      return false;
    }
  }
  return false;
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

export const MOUNT_SKIP = inPrivateMountNamespace()
  ? false
  : 'mounts only inside a private mount namespace: run through scripts/test.sh';

/** An ext4 image holding `files` (name → content). */
export function makeExt4Image(dir: string, files: Record<string, string>, sizeMiB = 8): string {
  const content = path.join(dir, 'image-content');
  mkdirSync(content, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(content, name), text);
  const image = path.join(dir, 'disk.ext4');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', content, image], { stdio: 'ignore' });
  return image;
}

/** The name of a loop device nobody uses now ("loop3"); attaching may still race with others. */
export function freeLoopName(): string {
  return path.basename(execFileSync('losetup', ['-f'], { encoding: 'utf8' }).trim());
}

/** Attaches `image` to /dev/<name>; false when someone else took the device first. */
export function attachLoop(name: string, image: string): boolean {
  try {
    execFileSync('losetup', [`/dev/${name}`, image], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Attaches `image` to any free loop device and returns its name. */
export function attachAnyLoop(image: string): string {
  return path.basename(execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim());
}

export function detachLoop(name: string): void {
  execFileSync('losetup', ['-d', `/dev/${name}`], { stdio: 'ignore' });
}

interface MountEntry {
  fstype: string;
  source: string;
  /** Per-mount options (ro, nosuid, ...). */
  options: string[];
}

/** The mounts stacked at `target`, bottom first. */
export function mountsAt(target: string): MountEntry[] {
  const found: MountEntry[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const fields = left.split(' ');
    if (fields[4] !== target) continue;
    const [fstype, source] = right.split(' ');
    found.push({ fstype, source, options: fields[5].split(',') });
  }
  return found;
}
