// OOM notifications of containers' memory cgroups, and the queue GetOOMEvent
// takes them from. v1: an eventfd registered through cgroup.event_control for
// memory.oom_control (without a native eventfd, the oom_kill counter is polled);
// v2: inotify on memory.events and its oom_kill counter.
import { closeSync, existsSync, openSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { native, POLL_READABLE, type NativeBinding, type PollHandle } from '../native';
import { parseKeyValues, readKeyValues, type CgroupFs } from './cgroup-fs';
import { errorText } from '../common/error-text';

export interface OomWatch {
  stop(): void;
}

const POLL_INTERVAL_MS = 1000;
const MAX_QUEUED = 10_000;

/** Calls `onOom` for every OOM notification of the cgroup until stopped; set up before the container runs. */
export function watchOom(fs: CgroupFs, cgroupPath: string, onOom: () => void, log: Logger): OomWatch {
  const dir = fs.dir('memory', cgroupPath);
  if (fs.version === 2) return watchMemoryEvents(dir, onOom, log);
  const n = native();
  // An addon built before eventfd existed lacks it: poll instead.
  if (typeof n.eventfd === 'function') return watchEventfd(n, dir, onOom, log);
  return pollOomKills(path.join(dir, 'memory.oom_control'), 'oom_kill', onOom);
}

function watchEventfd(n: NativeBinding, dir: string, onOom: () => void, log: Logger): OomWatch {
  const efd = n.eventfd();
  let control: number | undefined;
  try {
    control = openSync(path.join(dir, 'memory.oom_control'), 'r');
    writeFileSync(path.join(dir, 'cgroup.event_control'), `${efd} ${control}`);
  } catch (err) {
    if (control !== undefined) closeSync(control);
    n.close(efd);
    throw err;
  }
  let handle: PollHandle | undefined;
  const stop = (): void => {
    if (!handle) return;
    handle.close();
    handle = undefined;
    n.close(efd);
    closeSync(control!);
  };
  handle = n.poll(efd, POLL_READABLE, (err) => {
    if (err) {
      log.warn({ error: errorText(err) }, 'OOM eventfd failed');
      stop();
      return;
    }
    if (!n.read(efd, 8)) return;
    // The kernel also signals the eventfd when the cgroup goes away.
    if (!existsSync(path.join(dir, 'cgroup.event_control'))) stop();
    else onOom();
  });
  handle.unref();
  return { stop };
}

function watchMemoryEvents(dir: string, onOom: () => void, log: Logger): OomWatch {
  const file = path.join(dir, 'memory.events');
  // The baseline is taken now, before the container runs, so no kill goes unseen.
  let last = oomKills(file, 'oom_kill');
  let watcher: FSWatcher | undefined;
  const check = (): void => {
    void readKeyValues(file).then((events) => {
      const kills = events.oom_kill ?? 0n;
      if (kills > last) {
        last = kills;
        onOom();
      }
    });
  };
  try {
    watcher = watch(file, { persistent: false }, check);
    watcher.on('error', (err) => log.warn({ error: errorText(err) }, 'memory.events watch failed'));
  } catch (err) {
    log.warn({ error: errorText(err) }, 'cannot watch memory.events; polling');
    return pollOomKills(file, 'oom_kill', onOom);
  }
  return { stop: () => watcher?.close() };
}

/** The counter now, synchronously (0 when unreadable). */
function oomKills(file: string, key: string): bigint {
  try {
    return parseKeyValues(readFileSync(file, 'utf8'))[key] ?? 0n;
  } catch {
    return 0n;
  }
}

/** Polls a kill counter (`key` in a key/value file): the fallback without eventfd or inotify. */
export function pollOomKills(
  file: string,
  key: string,
  onOom: () => void,
  intervalMs = POLL_INTERVAL_MS,
): OomWatch {
  let last = oomKills(file, key);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void readKeyValues(file).then((v) => {
      busy = false;
      const kills = v[key] ?? 0n;
      if (kills > last) {
        last = kills;
        onOom();
      }
    });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** OOM events by container id, in arrival order; each GetOOMEvent takes one. */
export class OomQueue {
  private readonly events: string[] = [];
  private readonly waiters: ((id: string) => void)[] = [];

  constructor(private readonly log: Logger) {}

  push(containerId: string): void {
    this.log.info({ container: containerId }, 'container ran out of memory');
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(containerId);
      return;
    }
    if (this.events.length >= MAX_QUEUED) this.events.shift();
    this.events.push(containerId);
  }

  /** The next event; a cancelled call leaves the event for the next caller. */
  next(onCancel?: (fn: () => void) => () => void): Promise<string> {
    const queued = this.events.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (id: string): void => {
        unsubscribe?.();
        resolve(id);
      };
      this.waiters.push(waiter);
      const unsubscribe = onCancel?.(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('cancelled'));
      });
    });
  }

  get queued(): number {
    return this.events.length;
  }
}
