// The one sandbox of the agent: its lifecycle (CreateSandbox / DestroySandbox),
// shared namespaces, storages, DNS, guest hooks, and the map of its containers.
// CreateSandbox either completes or undoes itself (so it can be retried);
// DestroySandbox releases everything it can and reports what failed.
import { mkdirSync } from 'node:fs';
import type { CreateContainerRequest, CreateSandboxRequest } from '../generated/agent';
import type { DeviceManager } from '../devices/types';
import type { Logger } from '../logging/logger';
import { native } from '../native';
import { Code } from '../common/status';
import { AgentError, alreadyExists, failedPrecondition, notFound, unknown } from '../common/errors';
import type { OciHooks } from '../runtime/oci-types';
import type { MountedStorage } from '../storage/types';
import type { Container } from './container';
import { createContainer } from './create-container';
import { setupDns, type DnsSetup } from './dns';
import { scanGuestHooks } from './guest-hooks';
import { checkKernelModules, loadKernelModules } from './kernel-modules';
import { createSharedNamespaces, type SharedNamespaces } from './namespaces';
import type { RuntimeContext } from './runtime-context';
import { errorText } from '../common/error-text';

type SandboxState = 'none' | 'creating' | 'running' | 'destroying';

interface SandboxOptions {
  ctx: RuntimeContext;
  devices: DeviceManager;
  /** The agent's root logger: the sandbox id is added to its bindings. */
  rootLog: Logger;
  modprobe: string;
  unshare?: string;
  /** Parent of containers' default cgroups: <parent>/<sandbox id>/<container id>. */
  cgroupParent: string;
}

const DEFAULT_SANDBOX_NAME = 'sandbox';

export class Sandbox {
  state: SandboxState = 'none';
  id = '';
  private readonly containers = new Map<string, Container>();
  private readonly creating = new Set<string>();
  private namespaces: SharedNamespaces | undefined;
  private dns: DnsSetup | undefined;
  private storages: MountedStorage[] = [];
  private guestHooks: OciHooks | undefined;
  /** PID namespace of the first container, joined by containers asking for sandbox_pidns. */
  private infraPidNs: { containerId: string; path: string } | undefined;

  constructor(private readonly o: SandboxOptions) {}

  private get log(): Logger {
    return this.o.ctx.log;
  }

  async create(req: CreateSandboxRequest): Promise<void> {
    if (this.state !== 'none') throw alreadyExists('Sandbox already started, impossible to start again');
    checkKernelModules(req.kernel_modules);
    this.state = 'creating';
    const undo: (() => Promise<unknown> | unknown)[] = [];
    try {
      await loadKernelModules(req.kernel_modules, this.o.modprobe);
      const hooks = req.guest_hook_path
        ? scanGuestHooks(this.o.ctx.paths.guest(req.guest_hook_path), this.log)
        : undefined;
      if (req.hostname) native().sethostname(req.hostname);
      mkdirSync(this.o.ctx.paths.consoleDir(), { recursive: true, mode: 0o700 });
      const namespaces = await createSharedNamespaces({
        paths: this.o.ctx.paths,
        pidns: req.sandbox_pidns,
        log: this.log,
        unshare: this.o.unshare,
      });
      undo.push(() => namespaces.release());
      const storages = await this.o.ctx.storage.mountAll(req.storages);
      undo.push(() => this.o.ctx.storage.releaseAll(storages));
      const dns = setupDns(req.dns, this.o.ctx.paths, this.log);
      Object.assign(this, { namespaces, storages, dns, guestHooks: hooks, id: req.sandbox_id });
      this.infraPidNs = undefined;
      if (req.sandbox_id) this.o.rootLog.setBindings({ sandbox: req.sandbox_id });
      this.state = 'running';
    } catch (err) {
      for (const step of undo.reverse()) {
        await Promise.resolve()
          .then(step)
          .catch((e: Error) => this.log.warn({ error: errorText(e) }, 'rollback of CreateSandbox failed'));
      }
      this.state = 'none';
      throw err;
    }
  }

  /** Releases everything, even past failures; the failures are reported together. */
  async destroy(): Promise<void> {
    if (this.state === 'none') return;
    if (this.state !== 'running') throw failedPrecondition(`Sandbox is ${this.state}`);
    this.state = 'destroying';
    const errors: string[] = [];
    try {
      const all = [...this.containers.values()];
      await Promise.all(
        all.map((c) =>
          c.remove(0).then(
            () => this.forget(c.id),
            (err: Error) => {
              // Removed meanwhile by a RemoveContainer: nothing left to do.
              if (!(err instanceof AgentError && err.code === Code.NOT_FOUND))
                errors.push(`container ${c.id}: ${err.message}`);
            },
          ),
        ),
      );
      await this.o.ctx.deletions.all();
      errors.push(...(this.dns?.release() ?? []));
      try {
        await this.o.ctx.storage.releaseAll(this.storages);
      } catch (err) {
        errors.push(`sandbox storages: ${(err as Error).message}`);
      }
      errors.push(...((await this.namespaces?.release()) ?? []));
      // The shared parent (/kata) stays: another agent's containers may be created under it.
      this.o.ctx.cgroups.removeEmptyParents(`${this.cgroupBase()}/x`, this.cgroupBase());
      // Off the event loop: flushing a guest's dirty pages can take long, and other RPCs go on.
      await native().syncAsync();
    } finally {
      this.containers.clear();
      Object.assign(this, {
        namespaces: undefined,
        dns: undefined,
        storages: [],
        id: '',
        infraPidNs: undefined,
      });
      this.state = 'none';
    }
    if (errors.length) throw unknown(`DestroySandbox: ${errors.join('; ')}`);
  }

  requireRunning(message: string): void {
    if (this.state !== 'running') throw failedPrecondition(message);
  }

  container(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw notFound(`Container ${id} not found`);
    return c;
  }

  /** Containers and their live processes, for the metrics gauges. */
  get containerCount(): number {
    return this.containers.size;
  }

  get processCount(): number {
    let n = 0;
    for (const c of this.containers.values()) for (const p of c.processes.values()) if (!p.hasExited) n++;
    return n;
  }

  /** Cgroup paths of every container, for cpuset widening after CPU hotplug. */
  containerCgroupPaths(): string[] {
    return [...this.containers.values()].map((c) => c.cgroupsPath);
  }

  /** For OnlineCPUMem: containers with their own cpuset keep it, the others get every online CPU. */
  cpusetTargets(): { path: string; keepOwnCpuset: boolean }[] {
    return [...this.containers.values()].map((c) => ({ path: c.cgroupsPath, keepOwnCpuset: !!c.cpuset }));
  }

  async createContainer(req: CreateContainerRequest): Promise<void> {
    this.requireRunning('Sandbox not started, impossible to run a new container');
    const id = req.container_id;
    if (this.containers.has(id) || this.creating.has(id))
      throw alreadyExists(`Container ${id} already exists, impossible to create`);
    this.creating.add(id);
    try {
      // A removed container of the same id may still be deleting its runtime state.
      await this.o.ctx.deletions.wait(id);
      const pidNs = this.pidNamespaceFor(req);
      const container = await createContainer(
        this.o.ctx,
        this.o.devices,
        {
          ipcNs: this.namespaces!.ipc,
          utsNs: this.namespaces!.uts,
          pidNs,
          defaultCgroupsPath: `${this.cgroupBase()}/${id}`,
          guestHooks: this.guestHooks,
        },
        req,
      );
      if (this.state !== 'running') {
        await container.remove(0).catch(() => undefined);
        throw failedPrecondition('Sandbox destroyed while the container was being created');
      }
      this.containers.set(id, container);
      if (pidNs === '' && !this.infraPidNs)
        this.infraPidNs = { containerId: id, path: `/proc/${container.init.pid}/ns/pid` };
    } finally {
      this.creating.delete(id);
    }
  }

  async removeContainer(id: string, timeoutSec: number): Promise<void> {
    const c = this.container(id);
    await c.remove(timeoutSec);
    this.forget(id);
  }

  private forget(id: string): void {
    this.containers.delete(id);
    if (this.infraPidNs?.containerId === id) this.infraPidNs = undefined;
  }

  private pidNamespaceFor(req: CreateContainerRequest): string | undefined {
    if (req.agent_pidns) {
      this.log.warn({ container: req.container_id }, 'container shares the agent PID namespace');
      return undefined;
    }
    if (this.namespaces?.pid) return this.namespaces.pid;
    if (req.sandbox_pidns && this.infraPidNs) return this.infraPidNs.path;
    return '';
  }

  private cgroupBase(): string {
    return `${this.o.cgroupParent}/${this.id || DEFAULT_SANDBOX_NAME}`;
  }
}
