// A booted guest with the agent answering on agent.channel.0: builds the image
// if needed, picks the accelerator, starts qemu and dials the agent over yamux
// on the serial port's host socket until Health.Check answers.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { AgentClient } from '../client/agent-client';
import { dialer, parseAddress } from '../client/dial';
import '../transport/yamux-dialer';
import { HealthCheckResponse_ServingStatus } from '../generated/health';
import { detectAccel, type Accel } from './accel';
import { ensureImage, type GuestImage } from './image/build';
import { QemuVm, SERIAL_PORT_ID, type RootfsForm } from './qemu';
import { SandboxShare } from './sandbox-share';
import { netnsPrefix, tapNic, type TapNetwork } from './tap-network';

/** The agent's vsock port (1.x): it listens there besides the serial channel. */
export const AGENT_VSOCK_PORT = 1024;

export interface AgentVmOptions {
  image?: GuestImage;
  /** Defaults to a fresh directory under the system's temp dir, removed by close(). */
  runDir?: string;
  memoryMiB?: number;
  /** vCPUs at boot (1, as Kata starts its guests; more can be hot-plugged up to 4). */
  cpus?: number;
  kernelParams?: string[];
  /** agent.log level. */
  agentLog?: string;
  /** A virtio-net NIC on a tap in a network namespace of the VM's own. */
  network?: TapNetwork;
  onConsoleLine?: (line: string) => void;
  say?: (message: string) => void;
  /** The initrd (default) or the DAX rootfs image. */
  rootfs?: RootfsForm;
}

export interface AgentStartup {
  fromSnapshot: boolean;
  nodeBootMs: number;
  mainMs: number;
  setUpMs: number;
  listeningMs: number;
}

export class AgentVm {
  private readonly connections: Duplex[] = [];
  /** Resolves with the time (ms after spawn) the guest first opened agent.channel.0. */
  readonly channelOpened: Promise<number>;

  private constructor(
    readonly vm: QemuVm,
    readonly share: SandboxShare,
    readonly accel: Accel,
    readonly image: GuestImage,
    private readonly runDir: string,
    private readonly ownsRunDir: boolean,
  ) {
    // Bytes the host sends before the guest opens its port are dropped: qemu's
    // VSERPORT_CHANGE event says when it is worth dialing.
    this.channelOpened = vm
      .qmp()
      .then((qmp) =>
        qmp
          .waitEvent(
            'VSERPORT_CHANGE',
            (e) => e.data?.id === SERIAL_PORT_ID && e.data?.open === true,
            24 * 3600_000,
          )
          .then(() => vm.elapsedMs()),
      );
    this.channelOpened.catch(() => undefined);
  }

  /** Boots the guest; the agent is not necessarily up yet (see connect). */
  static async boot(options: AgentVmOptions = {}): Promise<AgentVm> {
    const image = options.image ?? (await ensureImage({ say: options.say })).image;
    const accel = await detectAccel(image.vmlinux);
    options.say?.(`accelerator: ${accel.kind} (${accel.reason})`);
    const runDir = options.runDir ?? mkdtempSync(path.join(os.tmpdir(), 'kata-vm-'));
    const share = new SandboxShare(path.join(runDir, 'shared'));
    const vm = QemuVm.start({
      image,
      accel,
      runDir,
      shareDir: share.dir,
      memoryMiB: options.memoryMiB,
      cpus: options.cpus,
      // The host talks over the serial port; vsock serves guest-local clients.
      listen: ['auto', `vsock://any:${AGENT_VSOCK_PORT}`],
      ...(options.network
        ? { nics: [tapNic(options.network)], netnsPrefix: netnsPrefix(options.network) }
        : {}),
      kernelParams: [`agent.log=${options.agentLog ?? 'info'}`, ...(options.kernelParams ?? [])],
      onConsoleLine: options.onConsoleLine,
      rootfs: options.rootfs,
    });
    return new AgentVm(vm, share, accel, image, runDir, !options.runDir);
  }

  get address(): string {
    return `yamux+unix://${this.vm.serialSocket}`;
  }

  /** One new client connection (a yamux stream on the serial channel). */
  async dial(timeoutMs: number): Promise<AgentClient> {
    return new AgentClient(await this.rawStream(timeoutMs));
  }

  /** A bare yamux stream to the agent, for speaking HTTP/2 by hand. */
  async rawStream(timeoutMs: number): Promise<Duplex> {
    const stream = await withTimeout(dialer(parseAddress(this.address))(), timeoutMs, 'dialing the agent');
    this.connections.push(stream);
    return stream;
  }

  /**
   * Waits for the guest to open its end of the channel, then dials until
   * Health.Check answers SERVING; a failed attempt starts over with a new
   * connection (the agent resets its session when the host goes away).
   */
  async connect(deadlineMs: number): Promise<AgentClient> {
    const attemptMs = this.vm.timeout(1000);
    const deadline = Date.now() + deadlineMs;
    let lastError: Error | undefined;
    await Promise.race([
      this.channelOpened,
      this.vm.exited,
      new Promise((r) => setTimeout(r, deadlineMs).unref()),
    ]);
    while (Date.now() < deadline) {
      if (!this.vm.running) break;
      let client: AgentClient | undefined;
      try {
        client = await this.dial(attemptMs);
        const health = await client.health.check({ service: '' }, { timeoutMs: attemptMs });
        if (health.status === HealthCheckResponse_ServingStatus.SERVING) return client;
        lastError = new Error(`health status ${health.status}`);
      } catch (err) {
        lastError = err as Error;
      }
      client?.destroy();
      await new Promise((r) => setTimeout(r, 50));
    }
    const why = this.vm.running ? `not ready within ${deadlineMs} ms` : 'the VM stopped';
    throw new Error(`agent ${why}${lastError ? ` (last error: ${lastError.message})` : ''}`);
  }

  /**
   * Where boot time went, from the console lines' arrival times (ms after qemu's
   * spawn) and qemu's channel event: firmware and kernel up to /init, module
   * loading, the agent's start-up until it opens its port, and the first answer.
   */
  async bootBreakdown(readyMs: number): Promise<Array<{ name: string; ms: number }>> {
    const c = this.vm.console;
    const opened = await Promise.race([this.channelOpened, Promise.resolve(undefined)]);
    // /init prints its first line only once the console driver is loaded: place
    // its start by the guest uptimes it reports.
    const loadedAt = c.lineTime(/kata-vm: modules-loaded /);
    const uptime = (re: RegExp): number => Number(re.exec(c.contents())?.[1]);
    const moduleMs =
      (uptime(/kata-vm: modules-loaded uptime=([\d.]+)/) - uptime(/kata-vm: init uptime=([\d.]+)/)) * 1000;
    const initAt =
      loadedAt !== undefined && Number.isFinite(moduleMs)
        ? loadedAt - moduleMs
        : c.lineTime(/kata-vm: init /);
    const marks: Array<[string, number | undefined]> = [
      ['firmware + kernel → /init', initAt],
      ['/init: kernel modules', loadedAt],
      ['/init → agent started', c.lineTime(/kata-vm: agent-(start|exec) /)],
      ['agent start-up → channel open', opened],
      ['channel open → first answer', readyMs],
    ];
    const out: Array<{ name: string; ms: number }> = [];
    let previous = 0;
    for (const [name, at] of marks) {
      if (at === undefined) continue;
      out.push({ name, ms: at - previous });
      previous = at;
    }
    return out;
  }

  /**
   * What the agent's "agent started" line on the console says of its start-up: whether
   * node deserialized it from the snapshot, and ms from node's start to node ready, to
   * the agent's main and to listening.
   */
  agentStartup(): AgentStartup | undefined {
    const line = this.vm.console
      .contents()
      .split('\n')
      .find((l) => l.includes('msg="agent started"'));
    if (!line) return undefined;
    const field = (k: string): string | undefined => new RegExp(` ${k}=(\\S+)`).exec(line)?.[1];
    return {
      fromSnapshot: field('fromSnapshot') === 'true',
      nodeBootMs: Number(field('nodeBootMs')),
      mainMs: Number(field('mainMs')),
      setUpMs: Number(field('setUpMs')),
      listeningMs: Number(field('listeningMs')),
    };
  }

  /** Stops the VM if it still runs and removes what boot() created. */
  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await this.vm.kill();
    if (this.ownsRunDir) rmSync(this.runDir, { recursive: true, force: true });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: Error) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
