// The guest kernel: Debian's linux-image-amd64 (and the versioned package it
// depends on) fetched with `apt-get download` and unpacked with `dpkg-deb -x`
// into the cache, never installed. From it we keep the uncompressed vmlinux
// (PVH direct boot is several seconds faster under TCG than a bzImage) and the
// modules the guest needs with their own modules.dep.
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { run } from '../exec';
import { GUEST_MODULES, loadOrder, readModuleIndex } from './modules';

const META_PACKAGE = 'linux-image-amd64';
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

export interface GuestKernel {
  /** Versioned package, e.g. linux-image-6.1.0-56-amd64. */
  packageName: string;
  packageVersion: string;
  /** uname -r, e.g. 6.1.0-56-amd64. */
  release: string;
  vmlinux: string;
  /** lib/modules/<release> holding only the guest's modules and their modules.dep. */
  modulesDir: string;
  /** .ko paths relative to modulesDir, dependencies first. */
  moduleOrder: string[];
}

interface KernelStamp extends Omit<GuestKernel, 'vmlinux' | 'modulesDir'> {
  requested: string[];
}

export type Progress = (message: string) => void;

/** What `apt-cache` says the kernel meta package currently resolves to. */
async function candidate(): Promise<{ packageName: string; packageVersion: string } | undefined> {
  try {
    const { stdout } = await run('apt-cache', ['show', '--no-all-versions', META_PACKAGE]);
    const depends = /^Depends: (linux-image-[^\s,]+) \(= ([^)]+)\)/m.exec(stdout);
    return depends ? { packageName: depends[1], packageVersion: depends[2] } : undefined;
  } catch {
    return undefined;
  }
}

function readStamp(dir: string): KernelStamp | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as KernelStamp;
  } catch {
    return undefined;
  }
}

function toKernel(dir: string, stamp: KernelStamp): GuestKernel {
  return {
    packageName: stamp.packageName,
    packageVersion: stamp.packageVersion,
    release: stamp.release,
    moduleOrder: stamp.moduleOrder,
    vmlinux: path.join(dir, 'vmlinux'),
    modulesDir: path.join(dir, 'modules', stamp.release),
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A kernel already in the cache, newest first, for machines whose apt lists are empty. */
function cachedKernels(kernelRoot: string): string[] {
  if (!existsSync(kernelRoot)) return [];
  return readdirSync(kernelRoot)
    .filter((d) => readStamp(path.join(kernelRoot, d)))
    .sort()
    .reverse()
    .map((d) => path.join(kernelRoot, d));
}

async function download(debDir: string, packageName: string, packageVersion: string): Promise<string> {
  mkdirSync(debDir, { recursive: true });
  const file = (name: string): string =>
    path.join(debDir, `${name}_${packageVersion.replace(/:/g, '%3a')}_amd64.deb`);
  const wanted = [META_PACKAGE, packageName].filter((n) => !existsSync(file(n)));
  if (wanted.length) {
    // Root's downloads would otherwise be refused to apt's sandbox user and merely warned about.
    await run('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...wanted], { cwd: debDir });
  }
  // The meta package is the source of truth for which versioned image to use.
  const { stdout } = await run('dpkg-deb', ['-f', file(META_PACKAGE), 'Depends']);
  if (!stdout.includes(packageName)) {
    throw new Error(`${META_PACKAGE} depends on ${stdout.trim()}, not ${packageName}`);
  }
  return file(packageName);
}

/** The bzImage carries vmlinux as an xz stream: find its magic and decompress that stream. */
export async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const image = readFileSync(bzImage);
  const at = image.indexOf(XZ_MAGIC);
  if (at < 0) throw new Error(`${bzImage}: no xz stream (is this kernel compressed with xz?)`);
  const fd = openSync(out, 'w');
  try {
    await run('xz', ['-dc', '--single-stream'], { input: image.subarray(at), stdoutFd: fd });
  } finally {
    closeSync(fd);
  }
  const head = readFileSync(out).subarray(0, 4);
  if (!head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) throw new Error(`${out}: not an ELF file`);
}

async function unpack(
  deb: string,
  dir: string,
  packageName: string,
  packageVersion: string,
  say: Progress,
): Promise<KernelStamp> {
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const tree = path.join(tmp, 'tree');
  say(`unpacking ${path.basename(deb)}`);
  await run('dpkg-deb', ['-x', deb, tree]);
  const releases = readdirSync(path.join(tree, 'lib', 'modules'));
  if (releases.length !== 1) throw new Error(`${deb}: expected one lib/modules/<release>, got ${releases}`);
  const release = releases[0];
  say('extracting vmlinux');
  await extractVmlinux(path.join(tree, 'boot', `vmlinuz-${release}`), path.join(tmp, 'vmlinux'));
  copyFileSync(path.join(tree, 'boot', `config-${release}`), path.join(tmp, 'config'));

  // The package ships no modules.dep: make one for the whole tree to find dependencies...
  say('indexing modules');
  await run('busybox', ['depmod', '-b', tree, release]);
  const fullDir = path.join(tree, 'lib', 'modules', release);
  const order = loadOrder(readModuleIndex(path.join(fullDir, 'modules.dep')), GUEST_MODULES);
  // ...then keep only what the guest loads, with a modules.dep of its own.
  const subset = path.join(tmp, 'subset');
  const subsetDir = path.join(subset, 'lib', 'modules', release);
  for (const ko of order) {
    mkdirSync(path.dirname(path.join(subsetDir, ko)), { recursive: true });
    copyFileSync(path.join(fullDir, ko), path.join(subsetDir, ko));
  }
  for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
    if (existsSync(path.join(fullDir, f))) copyFileSync(path.join(fullDir, f), path.join(subsetDir, f));
  }
  await run('busybox', ['depmod', '-b', subset, release]);
  renameSync(path.join(subset, 'lib', 'modules'), path.join(tmp, 'modules'));
  rmSync(tree, { recursive: true, force: true });
  rmSync(subset, { recursive: true, force: true });

  const stamp: KernelStamp = {
    packageName,
    packageVersion,
    release,
    moduleOrder: order,
    requested: [...GUEST_MODULES],
  };
  writeFileSync(path.join(tmp, 'kernel.json'), JSON.stringify(stamp, null, 2) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return stamp;
}

/** The kernel for the guest, from the cache when it is current, else downloaded and unpacked. */
export async function prepareKernel(cacheDir: string, say: Progress): Promise<GuestKernel> {
  const kernelRoot = path.join(cacheDir, 'kernel');
  let want = await candidate();
  if (!want && !cachedKernels(kernelRoot).length) {
    // A fresh machine whose package lists were never fetched.
    say('apt-get update');
    await run('apt-get', ['update', '-qq']).catch(() => undefined);
    want = await candidate();
  }
  if (!want) {
    const cached = cachedKernels(kernelRoot).find((d) =>
      sameList(readStamp(d)?.requested ?? [], GUEST_MODULES),
    );
    if (cached) return toKernel(cached, readStamp(cached) as KernelStamp);
    throw new Error(`apt-cache does not know ${META_PACKAGE}: run apt-get update`);
  }
  const dir = path.join(kernelRoot, `${want.packageName}_${want.packageVersion}`);
  const stamp = readStamp(dir);
  if (stamp && sameList(stamp.requested, GUEST_MODULES)) return toKernel(dir, stamp);
  say(`fetching ${want.packageName} ${want.packageVersion}`);
  const deb = await download(path.join(cacheDir, 'debs'), want.packageName, want.packageVersion);
  return toKernel(dir, await unpack(deb, dir, want.packageName, want.packageVersion, say));
}
