// What one HTTP/2 connection may make the agent hold or do, and the budget
// for control frames that do no work (PING, SETTINGS, RST_STREAM, PRIORITY,
// empty DATA and CONTINUATION, unknown types): a burst, then a steady rate, as
// nghttp2's flood checks allow. docs/transports.md lists the whole envelope.
import { ErrorCode, H2Error } from './frames';

export interface H2Limits {
  maxConcurrentStreams: number;
  /** Per-stream receive window we advertise. */
  streamWindow: number;
  /** Connection receive window we open at the start. */
  connectionWindow: number;
  maxFrameSize: number;
  maxHeaderListSize: number;
  /** Request body bytes held on one connection past which its window stops opening. */
  heldBudget: number;
  /** Unread output past which we stop reading the client. */
  outputHighWater: number;
  /** Control frames that do no work: a burst, and how many per second after it. */
  floodBurst: number;
  floodPerSecond: number;
  /** The client's first SETTINGS must come within this long. */
  handshakeMs: number;
}

export const DEFAULT_LIMITS: H2Limits = {
  maxConcurrentStreams: 1024,
  streamWindow: 1 << 20,
  connectionWindow: 16 << 20,
  maxFrameSize: 1 << 20,
  maxHeaderListSize: 64 << 10,
  heldBudget: 32 << 20,
  outputHighWater: 4 << 20,
  floodBurst: 10_000,
  floodPerSecond: 10_000,
  handshakeMs: 10_000,
};

/** Tokens spent by work-free frames and refilled with time; running out is ENHANCE_YOUR_CALM. */
export class FloodBudget {
  private tokens: number;
  private at = Date.now();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }

  spend(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000) - 1;
    this.at = now;
    if (this.tokens < 0) throw new H2Error(ErrorCode.ENHANCE_YOUR_CALM, 'too many control frames');
  }
}
