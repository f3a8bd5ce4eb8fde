// Everything the server writes on one connection. Frames are queued and
// written in one piece per turn of the event loop (one syscall for a whole
// answer). Response bodies go out under HTTP/2 flow control: a stream sends
// while both its own window and the connection's allow, and waits for the
// client's WINDOW_UPDATE otherwise. When the transport's buffer grows past a
// high-water mark (a client that does not read), the connection is told to
// stop reading until it drains, so a flood of PINGs or calls cannot grow the
// agent without bound.
import type { Duplex } from 'node:stream';
import { noteChurn } from '../../common/idle-gc';
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW, Flag, frameHeader, FrameType } from './frames';
import type { H2Stream } from './stream';

export class Outbound {
  /** The connection-level send window. */
  sendWindow = DEFAULT_WINDOW;
  /** SETTINGS_MAX_FRAME_SIZE as the client set it. */
  peerMaxFrame = DEFAULT_MAX_FRAME;
  private queue: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  private backlogged = false;
  /** Streams waiting for the connection window, in the order they blocked. */
  private readonly blocked = new Set<H2Stream>();

  constructor(
    private readonly socket: Duplex,
    private readonly highWater: number,
    /** Called with true when the client stops reading us, false once it catches up. */
    private readonly onBacklog: (backlogged: boolean) => void,
    /** A stream's answer has been sent to its end. */
    private readonly onAnswered: (stream: H2Stream) => void,
  ) {}

  push(bytes: Buffer): void {
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const data = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue, this.queued);
    this.queue = [];
    noteChurn(this.queued);
    this.queued = 0;
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(data);
    if (!this.backlogged && this.socket.writableLength > this.highWater) {
      this.backlogged = true;
      this.onBacklog(true);
      this.socket.once('drain', () => {
        this.backlogged = false;
        this.onBacklog(false);
      });
    }
  }

  /** A header block as HEADERS and, past the client's frame size, CONTINUATION frames. */
  headers(streamId: number, block: Buffer, endStream: boolean): void {
    let at = 0;
    let first = true;
    do {
      const piece = block.subarray(at, at + this.peerMaxFrame);
      at += piece.length;
      const last = at >= block.length;
      const flags = (first && endStream ? Flag.END_STREAM : 0) | (last ? Flag.END_HEADERS : 0);
      this.push(
        frameHeader(piece.length, first ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId),
      );
      this.push(piece);
      first = false;
    } while (at < block.length);
  }

  /** Sends as much of the stream's pending body as the windows allow, then its trailers. */
  pump(stream: H2Stream): void {
    // Only an answer under way has anything to send.
    if (stream.closed || !stream.answered || stream.localEnded) return;
    while (stream.pending.length > 0) {
      const room = Math.min(stream.sendWindow, this.sendWindow, this.peerMaxFrame);
      if (room <= 0) {
        if (this.sendWindow <= 0) this.blocked.add(stream);
        return;
      }
      const pieces: Buffer[] = [];
      let size = 0;
      while (size < room && stream.pending.length > 0) {
        const head = stream.pending[0];
        const take = Math.min(room - size, head.length);
        pieces.push(take === head.length ? head : head.subarray(0, take));
        if (take === head.length) stream.pending.shift();
        else stream.pending[0] = head.subarray(take);
        size += take;
      }
      stream.sendWindow -= size;
      this.sendWindow -= size;
      const lastData = stream.pending.length === 0 && stream.trailers === undefined;
      this.push(frameHeader(size, FrameType.DATA, lastData ? Flag.END_STREAM : 0, stream.id));
      for (const piece of pieces) this.push(piece);
      if (lastData) {
        this.onAnswered(stream);
        return;
      }
    }
    if (stream.trailers) {
      this.headers(stream.id, stream.trailers, true);
      stream.trailers = undefined;
      this.onAnswered(stream);
    } else {
      // A body that was empty from the start still ends the stream.
      this.push(frameHeader(0, FrameType.DATA, Flag.END_STREAM, stream.id));
      this.onAnswered(stream);
    }
  }

  /** The connection window grew: streams that waited for it go on, oldest first. */
  windowOpened(): void {
    for (const stream of [...this.blocked]) {
      if (this.sendWindow <= 0) return;
      this.blocked.delete(stream);
      this.pump(stream);
    }
  }

  forget(stream: H2Stream): void {
    this.blocked.delete(stream);
    stream.pending = [];
    stream.trailers = undefined;
  }
}
