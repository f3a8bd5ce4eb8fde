// The agent is a child subreaper: container processes, whose runtime parent exits
// right after starting them, are reparented to us. On SIGCHLD we peek at exited
// children without reaping (waitid WNOWAIT) and reap only what Node's
// child_process does not own: the pids registered here and stray orphans.
// waitpid(-1) would steal child_process's children and their 'exit' would never fire.
import { existsSync } from 'node:fs';
import { ChildProcess } from 'node:child_process';
import type { Logger } from '../logging/logger';
import { native, type NativeBinding, type WaitStatus } from '../native';
import { errorText } from '../common/error-text';

export interface ExitStatus {
  /** Exit status of a normal exit, else null. */
  code: number | null;
  /** Signal that killed it, else null. */
  signal: number | null;
}

/** 1.x's convention: the exit status, or 128 + the signal number. */
export function exitCodeOf(s: ExitStatus): number {
  return s.code ?? 128 + (s.signal ?? 0);
}

interface Watch {
  promise: Promise<ExitStatus>;
  resolve: (s: ExitStatus) => void;
}

// Orphans reaped before anyone registered them (a container init dying before its
// runtime wrote the pid file) keep their status here for a while.
const UNCLAIMED_TTL_MS = 60_000;
const UNCLAIMED_MAX = 1024;
// Also a safety net: a pass every so often while anything is awaited.
const KEEP_ALIVE_MS = 1000;

export class Reaper {
  private readonly watches = new Map<number, Watch>();
  private readonly unclaimed = new Map<number, { status: ExitStatus; at: number }>();
  private scheduled = false;
  private keepAlive: NodeJS.Timeout | undefined;
  private started = false;
  private readonly onSignal = (): void => this.schedule();

  constructor(
    private readonly log: Logger,
    private readonly n: NativeBinding = native(),
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    trackChildProcesses();
    this.n.setChildSubreaper(true);
    process.on('SIGCHLD', this.onSignal);
    this.schedule();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    process.off('SIGCHLD', this.onSignal);
  }

  /** Resolves when `pid` (a child of the agent, or reparented to it) exits. */
  watch(pid: number): Promise<ExitStatus> {
    const existing = this.watches.get(pid);
    if (existing) return existing.promise;
    let resolve!: (s: ExitStatus) => void;
    const promise = new Promise<ExitStatus>((r) => (resolve = r));
    const early = this.unclaimed.get(pid);
    this.unclaimed.delete(pid);
    // A live process with that pid means the cached status belongs to an older one.
    if (early && !existsSync(`/proc/${pid}`)) {
      resolve(early.status);
      return promise;
    }
    this.watches.set(pid, { promise, resolve });
    this.holdEventLoop();
    this.schedule();
    return promise;
  }

  /** Number of pids being waited for (for tests and metrics). */
  get watching(): number {
    return this.watches.size;
  }

  // Node's signal handles do not keep the event loop alive: while someone waits for
  // an exit, a timer does, or Node could exit before the SIGCHLD is seen.
  private holdEventLoop(): void {
    this.keepAlive ??= setInterval(() => this.schedule(), KEEP_ALIVE_MS);
  }

  private releaseEventLoop(): void {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: let libuv collect its own children for this SIGCHLD first.
    setImmediate(() => {
      this.scheduled = false;
      this.reapAll();
    });
  }

  private reapAll(): void {
    for (;;) {
      let peeked: WaitStatus | null;
      try {
        peeked = this.n.waitPeek();
      } catch (err) {
        this.log.warn({ error: errorText(err) }, 'waitid failed');
        return;
      }
      if (!peeked) return;
      const { pid } = peeked;
      if (!this.watches.has(pid) && ownedByChildProcess(pid)) {
        // libuv reaps it on its own SIGCHLD; ours follows and we look again.
        return;
      }
      let status: WaitStatus | null;
      try {
        status = this.n.waitPid(pid);
      } catch (err) {
        this.log.warn({ pid, error: errorText(err) }, 'waitpid failed');
        return;
      }
      if (!status) return;
      this.deliver(pid, { code: status.exitCode, signal: status.signal });
    }
  }

  private deliver(pid: number, status: ExitStatus): void {
    const watch = this.watches.get(pid);
    if (watch) {
      this.watches.delete(pid);
      if (this.watches.size === 0) this.releaseEventLoop();
      watch.resolve(status);
      return;
    }
    const now = Date.now();
    for (const [p, e] of this.unclaimed) {
      if (now - e.at > UNCLAIMED_TTL_MS || this.unclaimed.size >= UNCLAIMED_MAX) this.unclaimed.delete(p);
      else break;
    }
    this.unclaimed.set(pid, { status, at: now });
    this.log.debug({ pid, ...status }, 'reaped an orphan');
  }
}

// Pids of children that child_process spawned and libuv will reap itself. Every
// spawn path (spawn, exec, execFile, fork) goes through ChildProcess#spawn; its
// 'exit' fires synchronously when libuv reaps, so the set never holds a reused pid.
const nodeChildren = new Set<number>();
let tracking = false;

function trackChildProcesses(): void {
  if (tracking) return;
  tracking = true;
  const proto = ChildProcess.prototype as unknown as { spawn(this: ChildProcess, options: unknown): unknown };
  const original = proto.spawn;
  proto.spawn = function spawn(this: ChildProcess, options: unknown): unknown {
    const result = original.call(this, options);
    const pid = this.pid;
    if (pid) {
      nodeChildren.add(pid);
      this.once('exit', () => nodeChildren.delete(pid));
    }
    return result;
  };
}

function ownedByChildProcess(pid: number): boolean {
  return nodeChildren.has(pid);
}
