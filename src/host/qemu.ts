// Launches the guest under qemu with the devices a Kata 1.x runtime gives it:
// a virtio-serial port `agent.channel.0` on a host unix socket, the kataShared
// virtio-9p share, a QMP socket, and a PCI bridge that accepts hot-plugged
// disks. The kernel boots directly (PVH) from the uncompressed vmlinux.
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Accel } from './accel';
import { QEMU } from './accel';
import { ConsoleLog } from './console-log';
import { spawnTied } from './exec';
import type { GuestImage } from './image/build';
import { QmpClient } from './qmp';

export const SERIAL_PORT_NAME = 'agent.channel.0';
/** qemu's id of that port: its VSERPORT_CHANGE events say when the guest opens it. */
export const SERIAL_PORT_ID = 'channel0-port';
export const SHARE_TAG = 'kataShared';
/** The hot-plug bridge, as Kata names it; the runtime puts disks in its slots. */
export const BRIDGE_ID = 'pci-bridge-0';
/** The bridge's slot on pci.0: its devices' PCI paths read "02/<slot>". */
export const BRIDGE_SLOT = 2;

export interface VmOptions {
  image: GuestImage;
  accel: Accel;
  /** Sockets and the console log go here. */
  runDir: string;
  /** Host directory shared as kataShared. */
  shareDir: string;
  memoryMiB?: number;
  maxMemoryMiB?: number;
  cpus?: number;
  maxCpus?: number;
  /** Extra kernel parameters: agent.* options, kata_vm_mode=probe, ... */
  kernelParams?: string[];
  /** The agent's listen addresses (kata_vm_listen). */
  listen?: string[];
  /** Guest CID for a vhost-vsock device, when the host has /dev/vhost-vsock. */
  vsockCid?: number;
  /** Drop `quiet` to see the kernel's messages. */
  verboseKernel?: boolean;
  onConsoleLine?: (line: string) => void;
}

export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Whether this host can give a guest vsock (it needs vhost-vsock). */
export function hostHasVhostVsock(): boolean {
  try {
    accessSync('/dev/vhost-vsock', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function kernelCommandLine(o: VmOptions): string {
  return [
    'console=ttyS0',
    ...(o.verboseKernel ? [] : ['quiet']),
    // A guest that panics reboots at once, and -no-reboot turns that into qemu exiting.
    'panic=1',
    // No legacy keyboard/mouse probing (seconds under TCG), no self-tests.
    'i8042.noaux',
    'i8042.nomux',
    'i8042.nopnp',
    'i8042.dumbkbd',
    'cryptomgr.notests',
    'tsc=reliable',
    'no_timer_check',
    'rcupdate.rcu_expedited=1',
    ...(o.listen?.length ? [`kata_vm_listen=${o.listen.join(',')}`] : []),
    ...(o.kernelParams ?? []),
  ].join(' ');
}

export function qemuArgs(o: VmOptions, paths: { serial: string; qmp: string }): string[] {
  const mem = o.memoryMiB ?? 1024;
  const maxMem = Math.max(o.maxMemoryMiB ?? 4096, mem);
  const args = [
    ...['-name', 'kata-agent-vm', '-machine', 'pc', '-accel', o.accel.kind],
    ...['-cpu', o.accel.kind === 'kvm' ? 'host' : 'max'],
    ...['-m', `${mem}M,slots=4,maxmem=${maxMem}M`, '-smp', `${o.cpus ?? 1},maxcpus=${o.maxCpus ?? 4}`],
    ...['-nodefaults', '-no-user-config', '-nographic', '-vga', 'none', '-nic', 'none', '-no-reboot'],
    ...['-monitor', 'none', '-chardev', 'stdio,id=console0,signal=off', '-serial', 'chardev:console0'],
    ...['-qmp', `unix:${paths.qmp},server=on,wait=off`],
    // The bridge comes first so that it gets its fixed slot.
    ...['-device', `pci-bridge,bus=pci.0,id=${BRIDGE_ID},chassis_nr=1,shpc=on,addr=${BRIDGE_SLOT}`],
    ...['-device', 'virtio-serial-pci,id=serial0'],
    ...['-chardev', `socket,id=channel0,path=${paths.serial},server=on,wait=off`],
    ...[
      '-device',
      `virtserialport,bus=serial0.0,chardev=channel0,id=${SERIAL_PORT_ID},name=${SERIAL_PORT_NAME}`,
    ],
    ...['-fsdev', `local,id=share0,path=${o.shareDir},security_model=none,multidevs=remap`],
    ...['-device', `virtio-9p-pci,fsdev=share0,mount_tag=${SHARE_TAG}`],
    ...(o.vsockCid ? ['-device', `vhost-vsock-pci,id=vsock0,guest-cid=${o.vsockCid}`] : []),
    ...['-kernel', o.image.vmlinux, '-initrd', o.image.initrd, '-append', kernelCommandLine(o)],
  ];
  return args;
}

export class QemuVm {
  readonly serialSocket: string;
  readonly qmpSocket: string;
  readonly console: ConsoleLog;
  /** performance.now() when qemu was spawned. */
  readonly startedAt: number;
  readonly exited: Promise<VmExit>;
  private exitInfo: VmExit | undefined;
  private qmpClient: Promise<QmpClient> | undefined;

  private constructor(
    readonly options: VmOptions,
    private readonly child: ChildProcess,
    paths: { serial: string; qmp: string; log: string },
  ) {
    this.serialSocket = paths.serial;
    this.qmpSocket = paths.qmp;
    this.startedAt = performance.now();
    this.console = new ConsoleLog(paths.log, options.onConsoleLine);
    child.stdout?.on('data', (b: Buffer) => this.console.append(b));
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
      this.console.append(b);
    });
    this.exited = new Promise((resolve) => {
      const finish = (info: VmExit): void => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        const how = info.signal ? `signal ${info.signal}` : `status ${info.code}`;
        const last = stderr.trim().split('\n').pop();
        this.console.close(`qemu exited (${how})${last ? `: ${last}` : ''}`);
        resolve(info);
      };
      child.on('exit', (code, signal) => finish({ code, signal }));
      child.on('error', (err) => {
        stderr += err.message;
        finish({ code: null, signal: null });
      });
    });
  }

  static start(options: VmOptions): QemuVm {
    mkdirSync(options.runDir, { recursive: true });
    const paths = {
      serial: path.join(options.runDir, 'agent-channel.sock'),
      qmp: path.join(options.runDir, 'qmp.sock'),
      log: path.join(options.runDir, 'console.log'),
    };
    // stdin stays a pipe: writing to it types on the guest's console.
    const child = spawnTied(QEMU, qemuArgs(options, paths), { stdio: ['pipe', 'pipe', 'pipe'] });
    return new QemuVm(options, child, paths);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exitInfo;
  }

  /** Milliseconds since qemu was spawned. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** Scaled timeout: base milliseconds (sized for KVM) times the accelerator's factor. */
  timeout(baseMs: number): number {
    return Math.round(baseMs * this.options.accel.timeoutScale);
  }

  qmp(): Promise<QmpClient> {
    this.qmpClient ??= QmpClient.connect(this.qmpSocket, this.timeout(2000));
    return this.qmpClient;
  }

  /** Types on the guest's serial console. */
  typeOnConsole(text: string): void {
    this.child.stdin?.write(text);
  }

  /**
   * Presses the ACPI power button and waits for the guest to power off.
   * Resolves with the reason qemu gives (guest-shutdown for a clean poweroff).
   */
  async powerdown(timeoutMs: number): Promise<string> {
    const qmp = await this.qmp();
    const shutdown = qmp.waitEvent('SHUTDOWN', () => true, timeoutMs);
    await qmp.powerdown();
    const event = await shutdown;
    await this.exited;
    return String(event.data?.reason ?? 'unknown');
  }

  /** Stops the VM however it can: QMP quit, then SIGKILL. */
  async kill(): Promise<void> {
    if (!this.running) return;
    if (this.qmpClient) {
      const qmp = await this.qmpClient.catch(() => undefined);
      await qmp?.quit();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    if (!this.qmpClient) this.child.kill('SIGKILL');
    await this.exited;
    clearTimeout(timer);
    const qmp = await this.qmpClient?.catch(() => undefined);
    qmp?.close();
  }
}
