// One reaper per process: two would take each other's children. Agents started in
// the same process (tests) share it; it stops reaping when the last one stops.
import type { Logger } from '../logging/logger';
import { Reaper, type ExitStatus } from './reaper';

let shared: Reaper | undefined;
let users = 0;

/** The part of the reaper containers use. */
export interface ProcessWatcher {
  watch(pid: number): Promise<ExitStatus>;
}

class ReaperLease implements ProcessWatcher {
  private started = false;
  constructor(private readonly reaper: Reaper) {}

  watch(pid: number): Promise<ExitStatus> {
    return this.reaper.watch(pid);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (users++ === 0) this.reaper.start();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    if (--users === 0) this.reaper.stop();
  }
}

export function sharedReaper(log: Logger): ReaperLease {
  shared ??= new Reaper(log);
  return new ReaperLease(shared);
}
