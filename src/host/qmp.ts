// A QMP (QEMU Machine Protocol) client on the VM's control socket, with the
// operations a Kata runtime uses: hot-plugging a virtio-blk disk behind the PCI
// bridge or a scsi-hd on the virtio-scsi controller, removing it, hot-plugging a vCPU, and stopping the machine.
import net from 'node:net';
import { EventEmitter } from 'node:events';

interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface HotpluggableCpu {
  type: string;
  'vcpus-count': number;
  props: Record<string, number>;
  'qom-path'?: string;
}

interface DiskHotplug {
  /** Device and block node ids (the node is `${id}-node`). */
  id: string;
  file: string;
  /** PCI bus to plug into, e.g. the bridge's id. */
  bus: string;
  /** Slot on that bus (1-31). */
  addr: number;
  readOnly?: boolean;
}

interface ScsiDiskHotplug {
  /** Device and block node ids (the node is `${id}-node`). */
  id: string;
  file: string;
  /** The virtio-scsi controller's bus, e.g. "scsi0.0". */
  bus: string;
  /** The guest finds the disk by "<scsiId>:<lun>". */
  scsiId: number;
  lun: number;
  readOnly?: boolean;
}

export class QmpClient extends EventEmitter {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => this.onData(s));
    socket.on('close', () => this.failAll(new Error('QMP connection closed')));
    socket.on('error', (err) => this.failAll(err));
  }

  /** Connects, reads the greeting and leaves capability negotiation mode. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.greeting(Math.max(1000, deadline - Date.now()));
        await client.execute('qmp_capabilities');
        return client;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // qemu creates the socket a moment after it starts.
        if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  private greeting(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no QMP greeting')), timeoutMs);
      this.once('greeting', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onData(s: string): void {
    this.buffer += s;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      this.emit('greeting', msg.QMP);
      return;
    }
    if ('event' in msg) {
      this.emit('event', msg as unknown as QmpEvent);
      return;
    }
    const id = String(msg.id);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const e = msg.error as { class: string; desc: string };
      p.reject(new QmpError(p.command, e.class, e.desc));
    } else p.resolve(msg.return);
  }

  private failAll(err: Error): void {
    if (!this.closed) this.emit('closed', err);
    this.closed = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`QMP ${command}: connection closed`));
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify({ execute: command, arguments: args, id }) + '\n');
    });
  }

  /** The next event named `name` that satisfies `match`; fails when the connection closes. */
  waitEvent(name: string, match: (e: QmpEvent) => boolean, timeoutMs: number): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('closed', onClosed);
      };
      const onEvent = (e: QmpEvent): void => {
        if (e.event !== name || !match(e)) return;
        done();
        resolve(e);
      };
      const onClosed = (err: Error): void => {
        done();
        reject(new Error(`QMP event ${name}: ${err.message}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`QMP event ${name} not seen within ${timeoutMs} ms`));
      }, timeoutMs);
      // A wait must not keep the host process alive on its own.
      timer.unref();
      if (this.closed) onClosed(new Error('connection closed'));
      else {
        this.on('event', onEvent);
        this.on('closed', onClosed);
      }
    });
  }

  /** A raw image as a virtio-blk-pci device at bus/addr (hot-plugged into a running guest). */
  hotplugDisk(d: DiskHotplug): Promise<void> {
    return this.plugDrive(d.id, d.file, d.readOnly ?? false, {
      driver: 'virtio-blk-pci',
      bus: d.bus,
      addr: `0x${d.addr.toString(16)}`,
    });
  }

  /** A raw image as a scsi-hd on a virtio-scsi controller, as the runtime's virtio-scsi driver plugs it. */
  hotplugScsiDisk(d: ScsiDiskHotplug): Promise<void> {
    return this.plugDrive(d.id, d.file, d.readOnly ?? false, {
      driver: 'scsi-hd',
      bus: d.bus,
      'scsi-id': d.scsiId,
      lun: d.lun,
    });
  }

  /** blockdev-add of the image, then device_add; the block node goes again if the device is refused. */
  private async plugDrive(id: string, file: string, readOnly: boolean, device: Record<string, unknown>) {
    const node = `${id}-node`;
    await this.execute('blockdev-add', {
      'node-name': node,
      driver: 'raw',
      'read-only': readOnly,
      file: { driver: 'file', filename: file, 'read-only': readOnly },
    });
    try {
      await this.execute('device_add', { ...device, id, drive: node });
    } catch (err) {
      await this.execute('blockdev-del', { 'node-name': node }).catch(() => undefined);
      throw err;
    }
  }

  /** Asks the guest to release a device and waits until qemu reports it gone. */
  async unplugDevice(id: string, timeoutMs: number): Promise<void> {
    const gone = this.waitEvent('DEVICE_DELETED', (e) => e.data?.device === id, timeoutMs);
    await this.execute('device_del', { id });
    await gone;
  }

  async removeDisk(id: string, timeoutMs: number): Promise<void> {
    await this.unplugDevice(id, timeoutMs);
    await this.execute('blockdev-del', { 'node-name': `${id}-node` });
  }

  hotpluggableCpus(): Promise<HotpluggableCpu[]> {
    return this.execute<HotpluggableCpu[]>('query-hotpluggable-cpus');
  }

  /** Plugs the first absent vCPU slot; returns its device id and topology. */
  async hotplugCpu(id: string): Promise<HotpluggableCpu> {
    const free = (await this.hotpluggableCpus()).filter((c) => !c['qom-path']);
    if (!free.length) throw new Error('no free vCPU slot (maxcpus reached)');
    // query-hotpluggable-cpus lists the highest slots first: take the lowest.
    const slot = free[free.length - 1];
    await this.execute('device_add', { driver: slot.type, id, ...slot.props });
    return slot;
  }

  /** ACPI power button: the guest decides how to shut down. */
  powerdown(): Promise<unknown> {
    return this.execute('system_powerdown');
  }

  async quit(): Promise<void> {
    await this.execute('quit').catch(() => undefined);
  }

  close(): void {
    this.socket.destroy();
    this.failAll(new Error('connection closed'));
  }
}
