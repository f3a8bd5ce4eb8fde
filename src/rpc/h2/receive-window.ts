// The connection-level receive window. Bytes a client sends are handed back
// (WINDOW_UPDATE) once a quarter of the window has been used, but only while
// the request bodies held on the connection stay under a budget: past it the
// client must wait until calls take their requests, so one connection can
// make the agent hold at most the budget plus one window.
import { DEFAULT_WINDOW, ErrorCode, H2Error } from './frames';

export class ReceiveWindow {
  private window = DEFAULT_WINDOW;
  private unacked = 0;
  private held = 0;

  constructor(
    private readonly size: number,
    private readonly heldBudget: number,
    private readonly sendUpdate: (increment: number) => void,
  ) {}

  /** Widens the window from the protocol's default to its size (once, at the start). */
  open(): void {
    const extra = this.size - DEFAULT_WINDOW;
    if (extra <= 0) return;
    this.window += extra;
    this.sendUpdate(extra);
  }

  /** A DATA frame of `length` bytes arrived. */
  take(length: number): void {
    if (length > this.window)
      throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection window');
    this.window -= length;
  }

  /** Bytes taken and either dropped or `held` by a call until its request is whole. */
  consumed(length: number, held: number): void {
    this.unacked += length;
    this.held += held;
    this.reopen();
  }

  release(held: number): void {
    this.held -= held;
    this.reopen();
  }

  private reopen(): void {
    if (this.unacked < this.size / 4 || this.held > this.heldBudget) return;
    this.sendUpdate(this.unacked);
    this.window += this.unacked;
    this.unacked = 0;
  }
}
