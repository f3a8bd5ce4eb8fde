// Launches the guest under qemu with the devices and kernel command line a Kata
// 1.12 runtime gives it (machine pc, memory slots and a NUMA node, the hot-plug
// PCI bridge, virtio-serial with the console and `agent.channel.0`, virtio-rng,
// the kataShared virtio-9p share, a virtio-scsi controller, tap NICs), plus a
// QMP socket. The kernel boots directly (PVH) from the uncompressed vmlinux.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Accel } from './accel';
import { QEMU } from './accel';
import { ConsoleLog } from './console-log';
import { DAX_ROOT_PARAMS } from './image/loader';
import { spawnTied } from './exec';
import type { GuestImage } from './image/build';
import { QmpClient } from './qmp';

const SERIAL_PORT_NAME = 'agent.channel.0';
/** qemu's id of that port: its VSERPORT_CHANGE events say when the guest opens it. */
export const SERIAL_PORT_ID = 'channel0-port';
export const SHARE_TAG = 'kataShared';
/** The hot-plug bridge, as Kata names it; the runtime puts disks in its slots. */
export const BRIDGE_ID = 'pci-bridge-0';
/** The bridge's slot on pci.0: its devices' PCI paths read "02/<slot>". */
export const BRIDGE_SLOT = 2;
/** The virtio-scsi controller (block_device_driver = "virtio-scsi"): disks go on its bus scsi0.0. */
export const SCSI_CONTROLLER_ID = 'scsi0';

/**
 * The runtime's kernel command line, in its order, before `kernel_params`;
 * nr_cpus follows maxcpus. Kernel messages and /init's output go to the
 * virtconsole (hvc0), which qemu puts on its stdout.
 */
function runtimeKernelParams(maxCpus: number): string[] {
  return [
    ...['tsc=reliable', 'no_timer_check', 'rcupdate.rcu_expedited=1'],
    ...['i8042.direct=1', 'i8042.dumbkbd=1', 'i8042.nopnp=1', 'i8042.noaux=1'],
    ...['noreplace-smp', 'reboot=k', 'console=hvc0', 'console=hvc1', 'cryptomgr.notests'],
    ...['net.ifnames=0', 'pci=lastbus=0', 'iommu=off', 'debug', 'panic=1', `nr_cpus=${maxCpus}`],
    'agent.use_vsock=false',
  ];
}

/** A virtio-net NIC on a host tap device, as the runtime plugs it at boot (no vhost-net). */
export interface VmNic {
  /** qemu's netdev id. */
  id: string;
  /** The host tap device qemu opens (it must exist in qemu's network namespace). */
  tap: string;
  /** The guest's MAC: UpdateInterface finds the link by it. */
  mac: string;
}

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
  /** Tap NICs (see VmNic); qemu runs in `netns` when they are given. */
  nics?: VmNic[];
  /**
   * How to enter the network namespace holding the taps: a command prefix that
   * ends by exec'ing its arguments (the qemu command), so qemu keeps its pid.
   */
  netnsPrefix?: string[];
  onConsoleLine?: (line: string) => void;
  /**
   * The guest's root: the initrd (`initrd =`), or the rootfs image on an nvdimm mounted
   * with DAX (`image =`), reached through the loader initrd.
   */
  rootfs?: RootfsForm;
}

export type RootfsForm = 'initrd' | 'dax';

interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function kernelCommandLine(o: VmOptions): string {
  return [
    ...runtimeKernelParams(o.maxCpus ?? 2),
    ...(o.listen?.length ? [`kata_vm_listen=${o.listen.join(',')}`] : []),
    ...(o.rootfs === 'dax' ? DAX_ROOT_PARAMS : []),
    ...(o.kernelParams ?? []),
  ].join(' ');
}

/** How the root reaches the guest: Kata 1.x's nvdimm for an image (memory-backend-file, private). */
function rootfsArgs(o: VmOptions): string[] {
  if (o.rootfs !== 'dax') return ['-initrd', o.image.initrd];
  return [
    ...[
      '-object',
      `memory-backend-file,id=rootfs0,mem-path=${o.image.rootfsImage},size=${o.image.rootfsImageBytes}`,
    ],
    ...['-device', 'nvdimm,id=nv0,memdev=rootfs0'],
    ...['-initrd', o.image.loaderInitrd],
  ];
}

function nicArgs(nic: VmNic): string[] {
  return [
    ...['-netdev', `tap,id=${nic.id},ifname=${nic.tap},script=no,downscript=no`],
    ...[
      '-device',
      `virtio-net-pci,netdev=${nic.id},mac=${nic.mac},disable-modern=true,mq=on,vectors=4,romfile=`,
    ],
  ];
}

export function qemuArgs(o: VmOptions, paths: { serial: string; qmp: string }): string[] {
  const mem = o.memoryMiB ?? 1024;
  const maxMem = Math.max(o.maxMemoryMiB ?? 4096, mem);
  const maxCpus = o.maxCpus ?? 2;
  const args = [
    ...[
      '-name',
      'kata-agent-vm',
      '-machine',
      o.rootfs === 'dax' ? 'pc,nvdimm=on' : 'pc',
      '-accel',
      o.accel.kind,
    ],
    ...['-cpu', o.accel.kind === 'kvm' ? 'host' : 'max'],
    ...['-m', `${mem}M,slots=10,maxmem=${maxMem}M`],
    ...['-smp', `${o.cpus ?? 1},cores=1,threads=1,sockets=${maxCpus},maxcpus=${maxCpus}`],
    ...['-object', `memory-backend-ram,id=dimm1,size=${mem}M`, '-numa', 'node,memdev=dimm1'],
    ...['-nodefaults', '-no-user-config', '-nographic', '-vga', 'none', '-no-reboot'],
    ...['-rtc', 'base=utc,driftfix=slew,clock=host'],
    ...['-monitor', 'none', '-qmp', `unix:${paths.qmp},server=on,wait=off`],
    // The bridge comes first so that it gets its fixed slot.
    ...['-device', `pci-bridge,bus=pci.0,id=${BRIDGE_ID},chassis_nr=1,shpc=on,addr=${BRIDGE_SLOT}`],
    ...['-device', 'virtio-serial-pci,disable-modern=true,id=serial0,romfile='],
    // The guest's console (hvc0) is qemu's stdio.
    ...['-chardev', 'stdio,id=charconsole0,signal=off'],
    ...['-device', 'virtconsole,bus=serial0.0,chardev=charconsole0,id=console0'],
    ...['-chardev', `socket,id=channel0,path=${paths.serial},server=on,wait=off`],
    ...[
      '-device',
      `virtserialport,bus=serial0.0,chardev=channel0,id=${SERIAL_PORT_ID},name=${SERIAL_PORT_NAME}`,
    ],
    ...['-object', 'rng-random,id=rng0,filename=/dev/urandom'],
    ...['-device', 'virtio-rng-pci,rng=rng0,romfile='],
    ...['-fsdev', `local,id=share0,path=${o.shareDir},security_model=none,multidevs=remap`],
    ...['-device', `virtio-9p-pci,disable-modern=true,fsdev=share0,mount_tag=${SHARE_TAG},romfile=`],
    ...['-device', `virtio-scsi-pci,id=${SCSI_CONTROLLER_ID},disable-modern=true,romfile=`],
    ...(o.nics ?? []).flatMap(nicArgs),
    ...(o.nics?.length ? [] : ['-nic', 'none']),
    ...(o.vsockCid ? ['-device', `vhost-vsock-pci,id=vsock0,guest-cid=${o.vsockCid}`] : []),
    ...['-kernel', o.image.vmlinux, ...rootfsArgs(o), '-append', kernelCommandLine(o)],
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
    const args = qemuArgs(options, paths);
    const [command, ...rest] = [...(options.netnsPrefix ?? []), QEMU, ...args];
    const child = spawnTied(command, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
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
