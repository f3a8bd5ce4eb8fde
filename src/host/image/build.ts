// The guest image: the kernel (vmlinux) and an initrd, rebuilt only when a hash
// of everything that goes into them changes. The hash is stamped in
// <cache>/image/manifest.json beside the initrd.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, vmCacheDir } from '../paths';
import { run } from '../exec';
import { findBusybox } from '../busybox';
import { prepareKernel, type Progress } from './kernel';
import { AGENT_NODE_FLAGS } from '../../config/node-flags';
import { planImage } from './layout';
import { buildFloor } from './floor';
import { makeRootfsImage } from './rootfs-image';
import { planLoader } from './loader';
import { packCpio, stageTree } from './stage';

/** node's flags for the agent in the guest: the agent's own (src/config/node-flags.ts). */
const GUEST_NODE_FLAGS: string[] = [...AGENT_NODE_FLAGS];

/** Bump when the layout or the builder changes in a way the plan does not show. */
const BUILDER_VERSION = 4;

export interface GuestImage {
  vmlinux: string;
  initrd: string;
  kernelRelease: string;
  kernelPackage: string;
  initrdBytes: number;
  /**
   * The same tree as an ext4 rootfs image for an nvdimm (Kata 1.x's `image =`), and the
   * small initrd that loads the modules Debian's kernel needs to mount it (loader.ts).
   */
  rootfsImage: string;
  rootfsImageBytes: number;
  loaderInitrd: string;
  loaderInitrdBytes: number;
  /** Whether the agent itself is PID 1 (exec'd by /init). */
  agentIsInit: boolean;
  hash: string;
}

interface BuildResult {
  image: GuestImage;
  /** False when the cached image was current. */
  built: boolean;
  elapsedMs: number;
}

interface BuildOptions {
  cacheDir?: string;
  repo?: string;
  force?: boolean;
  say?: Progress;
}

async function which(name: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', `command -v ${name}`]).catch(() => {
    throw new Error(`${name} is not installed`);
  });
  return stdout.trim();
}

/** The agent does its own PID 1 work once its guest init module is built. */
function agentRunsAsInit(repo: string): boolean {
  const forced = process.env.KATA_VM_AGENT_INIT;
  if (forced === '0' || forced === '1') return forced === '1';
  return existsSync(path.join(repo, 'dist', 'src', 'guest', 'init.js'));
}

function readManifest(file: string): GuestImage | undefined {
  try {
    const image = JSON.parse(readFileSync(file, 'utf8')) as GuestImage;
    const files = [image.initrd, image.vmlinux, image.rootfsImage, image.loaderInitrd];
    return files.every((f) => f && existsSync(f)) ? image : undefined;
  } catch {
    return undefined;
  }
}

export async function ensureImage(options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const say = options.say ?? (() => undefined);
  const cacheDir = options.cacheDir ?? vmCacheDir();
  const repo = options.repo ?? repoRoot();
  const imageDir = path.join(cacheDir, 'image');
  const manifestFile = path.join(imageDir, 'manifest.json');

  const kernel = await prepareKernel(cacheDir, say);
  const agentIsInit = agentRunsAsInit(repo);
  const busybox = await findBusybox();
  const strip = true;
  const plan = await planImage({
    repo,
    kernel,
    node: process.execPath,
    busybox,
    crun: await which('crun'),
    strip,
    agentIsInit,
    nodeFlags: GUEST_NODE_FLAGS,
    floor: await buildFloor(repo, path.join(cacheDir, 'floor')),
  });
  const hash = plan.hash(JSON.stringify({ BUILDER_VERSION, kernel, strip, agentIsInit }));
  const current = readManifest(manifestFile);
  if (current && current.hash === hash && !options.force) {
    return { image: current, built: false, elapsedMs: Date.now() - started };
  }

  say('staging the initrd');
  mkdirSync(imageDir, { recursive: true });
  const staging = path.join(imageDir, 'root');
  await stageTree(staging, plan.list());
  const initrd = path.join(imageDir, 'initrd.cpio');
  say('packing the initrd');
  await packCpio(staging, `${initrd}.tmp`);
  renameSync(`${initrd}.tmp`, initrd);
  say('making the rootfs image');
  const rootfsImage = path.join(imageDir, 'rootfs.img');
  await makeRootfsImage(staging, statSync(initrd).size, `${rootfsImage}.tmp`);
  renameSync(`${rootfsImage}.tmp`, rootfsImage);
  rmSync(staging, { recursive: true, force: true });
  const loaderInitrd = path.join(imageDir, 'loader.cpio');
  const loaderStaging = path.join(imageDir, 'loader-root');
  await stageTree(loaderStaging, (await planLoader(kernel, busybox)).list());
  await packCpio(loaderStaging, loaderInitrd);
  rmSync(loaderStaging, { recursive: true, force: true });

  const image: GuestImage = {
    vmlinux: kernel.vmlinux,
    initrd,
    kernelRelease: kernel.release,
    kernelPackage: `${kernel.packageName} ${kernel.packageVersion}`,
    initrdBytes: statSync(initrd).size,
    rootfsImage,
    rootfsImageBytes: statSync(rootfsImage).size,
    loaderInitrd,
    loaderInitrdBytes: statSync(loaderInitrd).size,
    agentIsInit,
    hash,
  };
  writeFileSync(manifestFile, JSON.stringify(image, null, 2) + '\n');
  return { image, built: true, elapsedMs: Date.now() - started };
}
