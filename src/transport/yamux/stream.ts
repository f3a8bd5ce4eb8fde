// One yamux stream as a Node Duplex. Flow control follows hashicorp/yamux:
// the receiver grants credit (window updates) only as the application consumes
// data, so a slow reader stops the sender after one window instead of letting
// the session buffer without bound. Writes wait for credit and for the
// session's connection to drain.
import { Duplex } from 'node:stream';
import { Flag, FrameType, INITIAL_WINDOW, ProtocolError } from './frame';

/** What a stream needs from its session. */
export interface StreamHost {
  readonly maxWindow: number;
  readonly maxFrame: number;
  /** Writes one frame; false when the connection asked us to wait for 'drain'. */
  sendFrame(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): boolean;
  /** Calls `fn` once the connection has drained (at once if it is not congested). */
  whenWritable(fn: () => void): void;
  /** The stream no longer takes part in the session (closed both ways or reset). */
  forget(stream: YamuxStream): void;
  /** Whether frames can still be sent. */
  readonly open: boolean;
}

function resetError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback: (err?: Error | null) => void;
}

export class YamuxStream extends Duplex {
  /** SYN (we opened it) or ACK (the peer did) still has to ride on our next frame. */
  private pendingFlags: number;
  /** Bytes the peer may still send us before our next window update. */
  private recvWindow = INITIAL_WINDOW;
  /** Bytes of the data frame being received that have not arrived yet. */
  private inFlight = 0;
  /** Bytes we may still send before the peer grants more. */
  private sendWindow = INITIAL_WINDOW;
  private pending: PendingWrite | undefined;
  private finSent = false;
  private finReceived = false;
  private reset = false;
  /** Destroyed without an error before the peer finished: its further data is refused. */
  private abandoned = false;
  private flushing = false;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    openedLocally: boolean,
  ) {
    // The readable high-water mark stays below half the window: a reader that
    // drains below it always frees enough room for a window update, so a
    // blocked sender is always woken.
    super({
      allowHalfOpen: true,
      readableHighWaterMark: Math.min(64 * 1024, host.maxWindow / 4),
      writableHighWaterMark: 64 * 1024,
    });
    this.pendingFlags = openedLocally ? Flag.SYN : Flag.ACK;
  }

  /** Sends the SYN or ACK (with any extra window beyond the initial one) right away. */
  announce(): void {
    this.sendWindowUpdate(true);
  }

  // --- frames from the peer (called by the session) ---

  /** Validates a data frame header and takes its length out of our window. */
  acceptData(length: number): void {
    if (this.abandoned && length > 0) {
      // Nobody reads any more: like a closed socket, answer data with a reset.
      this.sendFrame(FrameType.WindowUpdate, Flag.RST, 0);
      this.reset = true;
      this.host.forget(this);
      return;
    }
    if (length > this.recvWindow)
      throw new ProtocolError(
        `stream ${this.id}: ${length} bytes exceed the receive window ${this.recvWindow}`,
      );
    this.recvWindow -= length;
    this.inFlight += length;
  }

  receivePayload(piece: Buffer): void {
    this.inFlight -= piece.length;
    // After a local reset or the end of our readable side the bytes have nowhere to go.
    if (this.reset || this.finReceived || this.destroyed) return;
    // Payload slices point into the connection's read buffer: copy small ones so
    // that a slow reader does not pin large buffers.
    this.push(piece.length < 4096 ? Buffer.from(piece) : piece);
  }

  receiveFlags(flags: number): void {
    if (flags & Flag.RST) {
      this.reset = true;
      this.host.forget(this);
      this.failPending(resetError(`yamux stream ${this.id} reset by peer`));
      this.destroy(resetError(`yamux stream ${this.id} reset by peer`));
      return;
    }
    if (flags & Flag.FIN && !this.finReceived) {
      this.finReceived = true;
      if (!this.destroyed) this.push(null);
      if (this.finSent) this.host.forget(this);
    }
  }

  receiveWindowUpdate(delta: number): void {
    this.sendWindow += delta;
    if (this.sendWindow > 0xffffffff) throw new ProtocolError(`stream ${this.id}: send window overflow`);
    this.flush();
  }

  /** The session ended under us. */
  sessionClosed(err: Error | undefined): void {
    if (this.destroyed) return;
    this.reset = true;
    const cause = resetError(`yamux session closed${err ? `: ${err.message}` : ''}`);
    this.failPending(cause);
    if (this.finReceived && this.finSent) this.destroy();
    else this.destroy(cause);
  }

  // --- Duplex implementation ---

  override _read(): void {
    // Readable calls _read before it takes the chunk being read out of the
    // buffer: look again once the read has completed.
    this.sendWindowUpdate(false);
    queueMicrotask(() => this.sendWindowUpdate(false));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.reset || !this.host.open) {
      callback(resetError(`yamux stream ${this.id} is closed`));
      return;
    }
    this.pending = { chunk, offset: 0, callback };
    this.flush();
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.reset || !this.host.open) {
      callback();
      return;
    }
    this.finSent = true;
    this.sendFrame(FrameType.WindowUpdate, Flag.FIN, 0);
    if (this.finReceived) this.host.forget(this);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.failPending(err ?? resetError(`yamux stream ${this.id} destroyed`));
    if (this.reset || !this.host.open || (this.finSent && this.finReceived)) {
      this.host.forget(this);
    } else if (err) {
      // Aborted: the peer frees the stream at once and drops what it has not read.
      this.sendFrame(FrameType.WindowUpdate, Flag.RST, 0);
      this.reset = true;
      this.host.forget(this);
    } else {
      // Closed like a socket: what we wrote still arrives, followed by our FIN;
      // data the peer sends from now on is answered with a reset.
      if (!this.finSent) {
        this.finSent = true;
        this.sendFrame(FrameType.WindowUpdate, Flag.FIN, 0);
      }
      if (this.finReceived) this.host.forget(this);
      else this.abandoned = true;
    }
    callback(err);
  }

  // --- internals ---

  private sendFrame(type: FrameType, flags: number, length: number, payload?: Buffer): boolean {
    const all = flags | this.pendingFlags;
    this.pendingFlags = 0;
    return this.host.sendFrame(type, all, this.id, length, payload);
  }

  /** Grants the peer the room freed by consumed data, once it is worth a frame. */
  private sendWindowUpdate(force: boolean): void {
    if (this.reset || !this.host.open) return;
    const max = this.host.maxWindow;
    const delta = max - this.recvWindow - this.inFlight - this.readableLength;
    if (delta <= 0 && !force && !this.pendingFlags) return;
    if (delta < max / 2 && !force && !this.pendingFlags) return;
    const grant = Math.max(0, delta);
    this.recvWindow += grant;
    this.sendFrame(FrameType.WindowUpdate, 0, grant);
  }

  /** Sends as much of the pending write as credit and the connection allow. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending && this.sendWindow > 0 && !this.reset && this.host.open) {
        const p = this.pending;
        const n = Math.min(p.chunk.length - p.offset, this.sendWindow, this.host.maxFrame);
        const piece = p.chunk.subarray(p.offset, p.offset + n);
        p.offset += n;
        this.sendWindow -= n;
        const writable = this.sendFrame(FrameType.Data, 0, n, piece);
        const done = p.offset === p.chunk.length;
        if (done) this.pending = undefined;
        if (!writable) {
          // Resume (or complete the write) once the connection has drained.
          this.host.whenWritable(() => (done ? p.callback() : this.flush()));
          return;
        }
        if (done) p.callback();
      }
    } finally {
      this.flushing = false;
    }
  }

  private failPending(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) p.callback(err);
  }
}
