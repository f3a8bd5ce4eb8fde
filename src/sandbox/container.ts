// One container of the sandbox: its runtime state, init and exec'd processes,
// storages and cgroup. Lifecycle operations are ordered by a per-container lock;
// stdio, waits and signals take none, so they never wait behind a slow operation.
import { readFileSync, readlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { watchOom, type OomWatch } from '../cgroups/oom';
import { containerStats } from '../cgroups/stats';
import type { StatsContainerResponse } from '../generated/agent';
import type { LinuxResources, Process } from '../generated/oci';
import type { Logger } from '../logging/logger';
import type { ContainerProcess } from '../process/container-process';
import {
  alreadyExists,
  deadlineExceeded,
  failedPrecondition,
  notFound,
  resourceExhausted,
  unknown,
} from '../common/errors';
import { toOciResources } from '../runtime/oci-spec-linux';
import type { OciResources, OciSpec } from '../runtime/oci-types';
import type { MountedStorage } from '../storage/types';
import { checkMems, fitCpuset } from './container-spec';
import { listProcesses } from './list-processes';
import { Mutex } from '../common/mutex';
import { execProcessSpec } from './process-spec';
import { launchProcess, writeJson, type RuntimeContext } from './runtime-context';
import { errorText } from '../common/error-text';

type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped';

const SIGKILL = 9;
const SIGTERM = 15;
const FREEZE_TIMEOUT_MS = 5000;

export class Container {
  readonly processes = new Map<string, ContainerProcess>();
  private readonly lock = new Mutex();
  private started = false;
  private paused = false;
  private oomWatch: OomWatch | undefined;
  private readonly done = new Set<'runtime' | 'storages'>();
  private removed = false;
  readonly log: Logger;

  constructor(
    readonly id: string,
    readonly bundle: string,
    readonly rootfs: string,
    readonly cgroupsPath: string,
    readonly spec: OciSpec,
    readonly init: ContainerProcess,
    readonly storages: MountedStorage[],
    private readonly ctx: RuntimeContext,
  ) {
    this.processes.set(init.execId, init);
    this.log = ctx.log.child({ container: id });
  }

  /** Runs a lifecycle operation in order; once removed, the container is gone for callers. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      if (this.removed) throw notFound(`Container ${this.id} not found`);
      return fn();
    });
  }

  private get hasHooks(): boolean {
    return Object.keys(this.spec.hooks ?? {}).length > 0;
  }

  get status(): ContainerStatus {
    if (this.init.hasExited) return 'stopped';
    if (this.paused) return 'paused';
    return this.started ? 'running' : 'created';
  }

  /** The process for WaitProcess/ReadStdout/...: NOT_FOUND names both ids. */
  process(execId: string): ContainerProcess {
    const p = this.processes.get(execId);
    if (!p) throw notFound(`Process ${execId} not found (container ${this.id})`);
    return p;
  }

  start(): Promise<void> {
    return this.locked(async () => {
      const status = this.status;
      if (status !== 'created')
        throw failedPrecondition(`Container ${this.id} status ${status}, should be created`);
      // Watching starts before the process runs, so an immediate OOM is not missed. A
      // failure only costs the events (1.x failed the RPC of a running container).
      try {
        this.oomWatch = watchOom(
          this.ctx.cgroups,
          this.cgroupsPath,
          () => this.ctx.oom.push(this.id),
          this.log,
        );
      } catch (err) {
        this.log.warn({ error: errorText(err) }, 'cannot watch for OOM events');
      }
      const runtimeExe = exeOf(this.init.pid);
      try {
        await this.ctx.runtime.start(this.id, this.hasHooks);
        await untilExecuted(this.init.pid, runtimeExe);
      } catch (err) {
        this.oomWatch?.stop();
        this.oomWatch = undefined;
        throw unknown((err as Error).message);
      }
      this.started = true;
      this.init.markRunning();
    });
  }

  exec(execId: string, proc: Process): Promise<void> {
    return this.locked(async () => {
      const status = this.status;
      if (status === 'stopped') throw failedPrecondition(`Cannot exec in stopped container ${this.id}`);
      // A frozen cgroup would freeze the new process before the runtime sees it start,
      // and the call would hang (so would 1.x's): refuse instead.
      if (status === 'paused') throw failedPrecondition(`Cannot exec in paused container ${this.id}`);
      // Execs are ordered by the lock, so the id cannot be taken while this one starts.
      if (this.processes.has(execId))
        throw alreadyExists(`Process ${execId} already exists in container ${this.id}`);
      if (this.processes.size >= this.ctx.maxProcesses) {
        throw resourceExhausted(
          `container ${this.id} already holds ${this.processes.size} processes; an exited one is ` +
            'let go once WaitProcess has answered and its output has been read',
        );
      }
      const spec = execProcessSpec(this.spec.process, proc, this.rootfs);
      const base = path.join(this.bundle, `exec-${execId}`);
      const files = { pidFile: `${base}.pid`, logFile: `${base}.log`, processFile: `${base}.json` };
      writeJson(files.processFile, spec);
      const p = await launchProcess(this.ctx, execId, spec.terminal === true, false, files, (stdio) =>
        this.ctx.runtime.exec({
          id: this.id,
          processFile: files.processFile,
          pidFile: files.pidFile,
          consoleSocket: stdio.consoleSocket,
          stdio: stdio.childFds,
          logFile: files.logFile,
        }),
      );
      p.markRunning();
      p.onReleasable = () => {
        if (this.processes.get(execId) !== p) return;
        this.processes.delete(execId);
        p.io.destroy();
      };
      this.processes.set(execId, p);
    });
  }

  /** Empty exec id: every process of the container. */
  async signal(execId: string, signal: number): Promise<void> {
    if (!execId) {
      await this.signalAll(signal);
      return;
    }
    const p = this.process(execId);
    if (this.status === 'stopped' && p.isInit) return;
    if (p.isInit && signal === SIGTERM && !handlesSignal(p.pid, SIGTERM)) {
      // A PID namespace init ignores signals it has no handler for (1.x sent SIGKILL).
      signal = SIGKILL;
    }
    p.signal(signal);
  }

  private async signalAll(signal: number): Promise<void> {
    const pids = await this.ctx.cgroups.pids(this.cgroupsPath);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone meanwhile.
      }
    }
    // A frozen task acts on its signals once thawed; 1.x's signal-all thawed too.
    if (this.paused && signal === SIGKILL) await this.resumeLocked().catch(() => undefined);
  }

  pause(): Promise<void> {
    return this.locked(async () => {
      const status = this.status;
      if (status !== 'running' && status !== 'created')
        throw failedPrecondition(`Container ${this.id} is ${status}, cannot pause it`);
      await this.runtimeCall(() => this.ctx.runtime.pause(this.id));
      this.paused = true;
      await this.waitFrozen();
    });
  }

  /**
   * crun may return while the freezer still says FREEZING (tasks not yet stopped);
   * PauseContainer answers once they all are, as libcontainer did for 1.x.
   */
  private async waitFrozen(): Promise<void> {
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      // Reading freezer.state is also what moves a v1 cgroup from FREEZING to FROZEN.
      const state = await this.ctx.cgroups.freezerState(this.cgroupsPath).catch(() => 'FROZEN');
      if (state === 'FROZEN') return;
      if (Date.now() > deadline) {
        await this.resumeLocked().catch(() => undefined);
        throw unknown(`unable to freeze container ${this.id}: still ${state}`);
      }
      await delay(wait);
    }
  }

  resume(): Promise<void> {
    return this.locked(async () => {
      if (this.status !== 'paused') throw failedPrecondition(`Container ${this.id} is not paused`);
      await this.resumeLocked();
    });
  }

  private async resumeLocked(): Promise<void> {
    await this.runtimeCall(() => this.ctx.runtime.resume(this.id));
    this.paused = false;
  }

  update(resources: LinuxResources): Promise<void> {
    return this.locked(async () => {
      const oci: OciResources = toOciResources(resources);
      if (oci.cpu?.cpus) oci.cpu.cpus = fitCpuset(oci.cpu.cpus, this.ctx.sysRoot);
      if (oci.cpu?.mems) checkMems(oci.cpu.mems);
      const file = path.join(this.bundle, 'update.json');
      writeJson(file, oci);
      try {
        await this.runtimeCall(() => this.ctx.runtime.update(this.id, file));
      } finally {
        await rm(file, { force: true });
      }
      const linux = (this.spec.linux ??= {});
      linux.resources = { ...linux.resources, ...oci };
    });
  }

  stats(): Promise<StatsContainerResponse> {
    return containerStats(this.ctx.cgroups, this.cgroupsPath, this.ctx.sysRoot);
  }

  async listProcesses(format: string, args: string[]): Promise<Buffer> {
    return listProcesses(await this.ctx.cgroups.pids(this.cgroupsPath), format, args);
  }

  /** The container's own cpuset, if the host set one (OnlineCPUMem leaves those alone). */
  get cpuset(): string | undefined {
    return this.spec.linux?.resources?.cpu?.cpus || undefined;
  }

  /**
   * Kills every process, waits for them up to `timeoutSec` (0: no limit; past it
   * DEADLINE_EXCEEDED and the container stays), then deletes the runtime state,
   * closes stdio and releases storages.
   */
  remove(timeoutSec: number): Promise<void> {
    return this.locked(async () => {
      const live = [...this.processes.values()].filter((p) => !p.hasExited);
      if (live.length || !this.init.hasExited) {
        await this.signalAll(SIGKILL);
        for (const p of live) p.signal(SIGKILL);
        await waitAll(live, timeoutSec);
      }
      await this.destroy(true);
      this.removed = true;
    });
  }

  /** Releases everything (also used when DestroySandbox gives up waiting); returns nothing, throws the first failure. */
  async destroy(background = false): Promise<void> {
    this.oomWatch?.stop();
    this.oomWatch = undefined;
    for (const p of this.processes.values()) p.io.destroy();
    const errors: string[] = [];
    // Each step is done once, so a failed removal can be retried.
    if (!this.done.has('runtime') && background && !this.hasHooks) {
      // Poststop hooks run at delete and must be done before the answer; without
      // them the deletion concerns nobody but a later container of the same id.
      this.done.add('runtime');
      const { runtime } = this.ctx;
      this.ctx.deletions.add(this.id, async () => {
        await runtime.delete(this.id, true);
        await rm(this.bundle, { recursive: true, force: true });
      });
    }
    if (!this.done.has('runtime')) {
      try {
        await this.ctx.runtime.delete(this.id, true, this.hasHooks);
        this.done.add('runtime');
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (!this.done.has('storages')) {
      try {
        await this.ctx.storage.releaseAll(this.storages);
        this.done.add('storages');
      } catch (err) {
        errors.push(`release storages: ${(err as Error).message}`);
      }
    }
    if (!background) await rm(this.bundle, { recursive: true, force: true });
    if (errors.length) throw unknown(errors.join('; '));
  }

  private async runtimeCall(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw unknown((err as Error).message);
    }
  }
}

async function waitAll(processes: ContainerProcess[], timeoutSec: number): Promise<void> {
  const all = Promise.all(processes.map((p) => p.whenExited()));
  if (timeoutSec <= 0) {
    await all;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(deadlineExceeded(`Timeout reached after ${timeoutSec}s`)),
      timeoutSec * 1000,
    );
  });
  try {
    await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * `runtime start` may return while the init is still the runtime's own code (which
 * catches signals); waits, briefly, until it has exec'd the container's program, so
 * that signal decisions (SIGTERM → SIGKILL) look at the right process.
 */
async function untilExecuted(pid: number, runtimeExe: string | undefined): Promise<void> {
  if (runtimeExe === undefined) return;
  // The exec normally follows within a millisecond: poll tightly, for at most a second.
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline) {
    const now = exeOf(pid);
    if (now === undefined || now !== runtimeExe) return;
    await delay(1);
  }
}

/** Whether `pid` installed a handler for `signal` (SigCgt of /proc/<pid>/status). */
function handlesSignal(pid: number, signal: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
    if (!m) return false;
    return ((BigInt('0x' + m[1]) >> BigInt(signal - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}
