// As PID 1 every orphan of the guest becomes our child: reap them, or they stay
// zombies. Node's child_process reaps its own children (libuv, per pid), so we
// peek at exited children without reaping (waitid WNOWAIT) and collect only
// those child_process does not know; waitpid(-1) would steal its children.
import { ChildProcess } from 'node:child_process';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';

const nodeChildren = new Set<number>();
let tracking = false;

/** Records the pids child_process spawns (every spawn path goes through ChildProcess#spawn). */
function trackNodeChildren(): void {
  if (tracking) return;
  tracking = true;
  const proto = ChildProcess.prototype as unknown as { spawn(this: ChildProcess, options: unknown): unknown };
  const original = proto.spawn;
  proto.spawn = function (this: ChildProcess, options: unknown): unknown {
    const result = original.call(this, options);
    const pid = this.pid;
    if (pid !== undefined) {
      nodeChildren.add(pid);
      // 'exit' fires when libuv has reaped it, so the pid cannot have been reused yet.
      this.once('exit', () => nodeChildren.delete(pid));
    }
    return result;
  };
}

export class OrphanReaper {
  private scheduled = false;
  private reaped = 0;
  private readonly onSignal = (): void => this.schedule();

  constructor(private readonly log: Logger) {}

  start(): void {
    trackNodeChildren();
    native().setChildSubreaper(true);
    process.on('SIGCHLD', this.onSignal);
    this.schedule();
  }

  stop(): void {
    process.off('SIGCHLD', this.onSignal);
  }

  /** Orphans collected so far. */
  get reapedCount(): number {
    return this.reaped;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After libuv has handled the same SIGCHLD for its own children.
    setImmediate(() => {
      this.scheduled = false;
      this.reapAll();
    });
  }

  private reapAll(): void {
    const n = native();
    for (;;) {
      const exited = n.waitPeek();
      // Nothing exited, or the first one is child_process's: libuv reaps it and the
      // SIGCHLD that follows brings us back here.
      if (!exited || nodeChildren.has(exited.pid)) return;
      const status = n.waitPid(exited.pid);
      if (!status) return;
      this.reaped++;
      this.log.debug({ pid: status.pid, code: status.exitCode, signal: status.signal }, 'reaped an orphan');
    }
  }
}
