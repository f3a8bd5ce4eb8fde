// What containers share inside a sandbox: the runtime, the reaper, cgroups, the
// OOM queue, guest paths and settings. One object, handed to each container.
import { writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import type { CgroupFs } from '../cgroups/cgroup-fs';
import type { OomQueue } from '../cgroups/oom';
import type { Logger } from '../logging/logger';
import { ContainerProcess } from '../process/container-process';
import type { ProcessWatcher } from '../process/shared-reaper';
import { prepareStdio } from '../process/stdio';
import { internal, unknown } from '../common/errors';
import { RuntimeError, type OciRuntime } from '../runtime/oci-runtime';
import { stringifyExact } from '../common/exact-json';
import type { StorageManager } from '../storage/types';
import type { PendingDeletions } from './deletions';
import type { GuestPaths } from './paths';

export interface RuntimeContext {
  runtime: OciRuntime;
  reaper: ProcessWatcher;
  cgroups: CgroupFs;
  oom: OomQueue;
  paths: GuestPaths;
  storage: StorageManager;
  /** Runtime deletions still running after their RemoveContainer answered. */
  deletions: PendingDeletions;
  /** F_SETPIPE_SZ for stdout/stderr pipes, 0 = kernel default. */
  pipeSize: number;
  /** Processes one container may hold (running, or exited and not yet waited for and read). */
  maxProcesses: number;
  sysRoot: string;
  /** The guest root is an initramfs: no pivot_root. */
  noPivot: boolean;
  log: Logger;
}

let consoleSeq = 0;

/** Files of one runtime call that starts a process (create or exec), removed afterwards. */
interface LaunchFiles {
  pidFile: string;
  logFile: string;
  /** process.json for exec. */
  processFile?: string;
}

/**
 * Starts a process through the runtime (create or exec), with its stdio, and
 * returns it registered with the reaper. A failure leaves no fd or file behind.
 */
export async function launchProcess(
  ctx: RuntimeContext,
  execId: string,
  terminal: boolean,
  isInit: boolean,
  files: LaunchFiles,
  call: (stdio: {
    childFds: readonly [number | 'ignore', number | 'ignore', number | 'ignore'];
    consoleSocket?: string;
  }) => Promise<void>,
): Promise<ContainerProcess> {
  const stdio = await prepareStdio({
    terminal,
    pipeSize: ctx.pipeSize,
    consoleSocketPath: ctx.paths.consoleSocket(++consoleSeq),
  });
  let pid: number;
  try {
    await call(stdio);
    pid = Number((await readFile(files.pidFile, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad pid file ${files.pidFile}`);
  } catch (err) {
    stdio.abort();
    await cleanupFiles(files);
    if (err instanceof RuntimeError) throw internal(`Could not run process: ${err.message}`);
    throw unknown((err as Error).message);
  }
  const exit = ctx.reaper.watch(pid);
  try {
    const io = await stdio.complete();
    io.holdSlave?.(pid);
    return new ContainerProcess(execId, pid, io, exit, isInit);
  } catch (err) {
    // The process runs but its terminal could not be set up: it must not survive.
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    throw unknown(`cannot set up the terminal of ${execId}: ${(err as Error).message}`);
  } finally {
    await cleanupFiles(files);
  }
}

async function cleanupFiles(files: LaunchFiles): Promise<void> {
  await Promise.all(
    [files.pidFile, files.logFile, files.processFile].map((f) => (f ? rm(f, { force: true }) : undefined)),
  );
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, stringifyExact(value), { mode: 0o600 });
}
