// Kernel uevents: datagrams of the form "ACTION@DEVPATH\0KEY=VALUE\0...". The
// listener reads them from a NETLINK_KOBJECT_UEVENT socket and hands each one to
// a callback; when the socket overflows (ENOBUFS) events were lost and the
// callback owner must resynchronise from sysfs.
import type { Logger } from '../logging/logger';
import { POLL_READABLE, native, type NativeBinding, type PollHandle } from '../native';
import { NETLINK_KOBJECT_UEVENT, UEVENT_KERNEL_GROUP, UEVENT_MAX_SIZE } from '../guest/kernel';
import { errorText } from '../common/error-text';
import { isCode } from '../guest/sysfs-io';

export interface Uevent {
  action: string;
  /** "/devices/..." relative to /sys. */
  devpath: string;
  subsystem?: string;
  /** Node name relative to /dev ("vda", "vfio/12"). */
  devname?: string;
  /** "disk" or "partition" for block devices. */
  devtype?: string;
  major?: number;
  minor?: number;
  seqnum?: number;
  /** Every KEY=VALUE pair, as sent. */
  env: Record<string, string>;
}

/** udev re-broadcasts processed events with this header; only the kernel's own count. */
const UDEV_HEADER = 'libudev';

/** Parses one datagram; null for udev's messages and anything that is not a uevent. */
export function parseUevent(datagram: Buffer): Uevent | null {
  const fields = datagram.toString('utf8').split('\0');
  const header = fields[0] ?? '';
  if (header === UDEV_HEADER) return null;
  const at = header.indexOf('@');
  if (at <= 0 || at === header.length - 1) return null;
  const env: Record<string, string> = {};
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    if (eq <= 0) continue; // empty trailer or a malformed pair: not worth losing the event
    env[field.slice(0, eq)] = field.slice(eq + 1);
  }
  return eventFromEnv(env, header.slice(0, at), header.slice(at + 1));
}

/** Builds an event from KEY=VALUE pairs (a datagram's or a sysfs `uevent` file's). */
export function eventFromEnv(env: Record<string, string>, action: string, devpath: string): Uevent {
  return {
    action: env.ACTION ?? action,
    devpath: env.DEVPATH ?? devpath,
    subsystem: env.SUBSYSTEM,
    devname: env.DEVNAME,
    devtype: env.DEVTYPE,
    major: optionalInt(env.MAJOR),
    minor: optionalInt(env.MINOR),
    seqnum: optionalInt(env.SEQNUM),
    env,
  };
}

/** Parses the text of a sysfs `uevent` file (KEY=VALUE lines). */
export function parseUeventFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function optionalInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

export interface UeventSink {
  event(event: Uevent): void;
  /** Events were dropped by the kernel: rebuild state from sysfs. */
  overrun(): Promise<void>;
}

// Bursts (many disks or memory blocks at once) overflow the default socket buffer.
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export class UeventListener {
  private poller: PollHandle | undefined;
  private closed = false;

  private constructor(
    private readonly fd: number,
    private readonly sink: UeventSink,
    private readonly log: Logger,
    private readonly nat: NativeBinding,
  ) {}

  /** Opens the socket and starts delivering events to `sink`. Throws when netlink is unavailable. */
  static start(sink: UeventSink, log: Logger, nat: NativeBinding = native()): UeventListener {
    const fd = nat.netlinkOpen(NETLINK_KOBJECT_UEVENT, UEVENT_KERNEL_GROUP);
    try {
      nat.setRecvBuffer(fd, RECEIVE_BUFFER_BYTES);
    } catch (err) {
      log.debug({ error: errorText(err) }, 'could not enlarge the uevent socket buffer');
    }
    const listener = new UeventListener(fd, sink, log, nat);
    listener.poller = nat.poll(fd, POLL_READABLE, (err) => {
      if (err) log.warn({ error: errorText(err) }, 'uevent socket poll failed');
      else listener.drain();
    });
    // The listener serves requests; it must not by itself keep the process alive.
    listener.poller.unref();
    return listener;
  }

  private drain(): void {
    for (;;) {
      if (this.closed) return;
      let datagram: Buffer | null;
      try {
        datagram = this.nat.netlinkRecv(this.fd, UEVENT_MAX_SIZE);
      } catch (err) {
        if (isCode(err, 'ENOBUFS')) {
          this.log.warn('uevent socket overran, resynchronising from sysfs');
          void this.sink.overrun();
          continue;
        }
        this.log.warn({ error: errorText(err) }, 'uevent receive failed');
        return;
      }
      if (datagram === null) return;
      const event = parseUevent(datagram);
      if (!event) continue;
      try {
        this.sink.event(event);
      } catch (err) {
        this.log.warn({ error: errorText(err), devpath: event.devpath }, 'uevent handling failed');
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.poller?.close();
    this.nat.close(this.fd);
  }
}
