// The devices the guest has, by sysfs devpath: filled by a sysfs scan at start,
// kept current by uevents, rebuilt from sysfs after an overrun. Code that needs a
// hot-plugged device waits here until a matching one is known.
import type { Logger } from '../logging/logger';
import { deadlineExceeded } from '../common/errors';
import type { SystemPaths } from '../common/system-paths';
import { errorText } from '../common/error-text';
import { scanSysfs } from './sysfs-scan';
import type { Uevent, UeventSink } from './uevent';
import { withSpan } from '../tracing/span-api';

export interface DeviceRecord {
  devpath: string;
  subsystem?: string;
  devname?: string;
  devtype?: string;
  major?: number;
  minor?: number;
}

type DevicePredicate = (device: DeviceRecord) => boolean;
type EventObserver = (event: Uevent) => void;

interface Waiter {
  predicate: DevicePredicate;
  resolve(device: DeviceRecord): void;
}

interface Entry {
  device: DeviceRecord;
  /** Generation of the last event or scan that confirmed it. */
  seen: number;
}

/** Kinds of device a sysfs scan finds; others (network interfaces, CPUs) are known from events only. */
const scannable = (d: DeviceRecord): boolean =>
  d.devname !== undefined || d.subsystem === 'pci' || d.subsystem === 'ccw';

export class DeviceRegistry implements UeventSink {
  private readonly devices = new Map<string, Entry>();
  private readonly waiters = new Set<Waiter>();
  private readonly observers = new Set<EventObserver>();
  private generation = 0;
  /** Devpaths removed while a scan runs, so the scan does not bring them back. */
  private readonly removedDuringScan = new Map<string, number>();
  private scansRunning = 0;
  private scanning: Promise<void> | undefined;
  private nextScan: Promise<void> | undefined;
  /** The start-up scan while it runs, when uevents cover whatever it misses. */
  private startupScan: Promise<void> | undefined;

  constructor(
    private readonly paths: SystemPaths,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** Records what sysfs shows now; devices no event or scan confirmed since the scan began are dropped. */
  async scan(): Promise<void> {
    const startedAt = ++this.generation;
    this.scansRunning++;
    try {
      const found = await scanSysfs(this.paths);
      const present = new Set<string>();
      for (const event of found) {
        present.add(event.devpath);
        const known = this.devices.get(event.devpath);
        // An event newer than the scan knows better than what the scan read.
        if (known && known.seen > startedAt) continue;
        if ((this.removedDuringScan.get(event.devpath) ?? 0) > startedAt) continue;
        this.record(event);
      }
      for (const [devpath, entry] of this.devices) {
        if (!present.has(devpath) && entry.seen <= startedAt && scannable(entry.device)) {
          this.devices.delete(devpath);
        }
      }
    } finally {
      if (--this.scansRunning === 0) this.removedDuringScan.clear();
    }
  }

  event(event: Uevent): void {
    if (event.action === 'remove') {
      this.devices.delete(event.devpath);
      if (this.scansRunning > 0) this.removedDuringScan.set(event.devpath, ++this.generation);
    } else {
      this.record(event);
    }
    for (const observe of this.observers) observe(event);
  }

  /**
   * The first scan, run in the background. With a uevent listener started before it,
   * the scan and the events between them see every device: a lookup that misses
   * meanwhile waits for the two instead of queueing another scan.
   */
  scanAtStart(listening: boolean): void {
    const scan = this.refresh();
    if (!listening) return;
    this.startupScan = scan.finally(() => (this.startupScan = undefined));
  }

  overrun(): Promise<void> {
    return this.refresh();
  }

  /**
   * A scan that starts after this call. Callers arriving while one runs share the
   * single scan queued behind it, so bursts of misses or overruns cost two scans at most.
   */
  refresh(): Promise<void> {
    if (this.scanning) {
      this.nextScan ??= this.scanning.then(() => {
        this.nextScan = undefined;
        return this.refresh();
      });
      return this.nextScan;
    }
    this.scanning = this.scan()
      .catch((err) => this.log.warn({ error: errorText(err) }, 'sysfs scan failed'))
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** Called for every uevent after the registry is updated; returns an unsubscribe function. */
  observe(observer: EventObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  find(predicate: DevicePredicate): DeviceRecord | undefined {
    for (const { device } of this.devices.values()) if (predicate(device)) return device;
    return undefined;
  }

  list(): DeviceRecord[] {
    return [...this.devices.values()].map((e) => e.device);
  }

  /**
   * The first known device matching `predicate`, waiting for one to appear. A miss
   * triggers one sysfs scan (covering anything an event did not tell us). After the
   * hotplug timeout (or `timeoutMs`) fails with DEADLINE_EXCEEDED naming `what`,
   * followed by `hint` (what is likely missing).
   */
  waitFor(
    predicate: DevicePredicate,
    what: string,
    timeoutMs = this.timeoutMs,
    hint?: string,
  ): Promise<DeviceRecord> {
    return withSpan('device wait', { device: what }, () => this.waitNow(predicate, what, timeoutMs, hint));
  }

  private waitNow(
    predicate: DevicePredicate,
    what: string,
    timeoutMs: number,
    hint: string | undefined,
  ): Promise<DeviceRecord> {
    const known = this.find(predicate);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (device) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(device);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const why = hint ? `; ${hint}` : '';
        reject(deadlineExceeded(`Timeout reached after ${timeoutMs}ms waiting for device ${what}${why}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      if (!this.startupScan) void this.refresh();
    });
  }

  private record(event: Uevent): void {
    const previous = this.devices.get(event.devpath)?.device;
    const device: DeviceRecord = {
      devpath: event.devpath,
      subsystem: event.subsystem ?? previous?.subsystem,
      devname: event.devname ?? previous?.devname,
      devtype: event.devtype ?? previous?.devtype,
      major: event.major ?? previous?.major,
      minor: event.minor ?? previous?.minor,
    };
    this.devices.set(event.devpath, { device, seen: ++this.generation });
    for (const waiter of [...this.waiters]) if (waiter.predicate(device)) waiter.resolve(device);
  }
}
