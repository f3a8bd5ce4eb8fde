// One process of a container (its init or an exec'd one): a small state machine
// (created → running → exited) with its stdio. The record outlives the exit: the
// host may read output after WaitProcess, so it goes away only once waited for and
// drained, or with its container.
import { exitCodeOf, type ExitStatus } from './reaper';
import type { ProcessIo } from './stdio';

type ProcessState = 'created' | 'running' | 'exited';

export class ContainerProcess {
  state: ProcessState = 'created';
  exitStatus: ExitStatus | undefined;
  /** Set once some WaitProcess has returned the exit code. */
  waited = false;
  private readonly exited: Promise<ExitStatus>;
  /** Called when the record is no longer needed (waited and output drained). */
  onReleasable: (() => void) | undefined;

  constructor(
    readonly execId: string,
    readonly pid: number,
    readonly io: ProcessIo,
    exit: Promise<ExitStatus>,
    readonly isInit: boolean,
  ) {
    this.exited = exit.then((status) => {
      this.state = 'exited';
      this.exitStatus = status;
      io.processExited();
      return status;
    });
    const check = (): void => this.checkReleasable();
    io.stdout.onFinished = check;
    io.stderr.onFinished = check;
  }

  get hasExited(): boolean {
    return this.state === 'exited';
  }

  markRunning(): void {
    if (this.state === 'created') this.state = 'running';
  }

  /** The exit code (status, or 128 + signal), once the process has exited. */
  async wait(): Promise<number> {
    const status = await this.exited;
    this.waited = true;
    // Let every concurrent waiter see the record before it may go.
    setImmediate(() => this.checkReleasable());
    return exitCodeOf(status);
  }

  /** Resolves at exit, without counting as a wait. */
  whenExited(): Promise<ExitStatus> {
    return this.exited;
  }

  /** Sends a signal unless the process is gone; we reap it ourselves, so its pid cannot be reused meanwhile. */
  signal(signal: number): void {
    if (this.hasExited) return;
    try {
      process.kill(this.pid, signal);
    } catch (err) {
      // Exited but not reaped yet: nothing to signal.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  private checkReleasable(): void {
    if (this.waited && this.io.stdout.drained && this.io.stderr.drained) this.onReleasable?.();
  }
}
