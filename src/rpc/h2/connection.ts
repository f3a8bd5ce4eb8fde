// The server side of one HTTP/2 connection (RFC 9113), enough for gRPC's
// unary calls and strict about everything else: a client that breaks the
// protocol gets a GOAWAY with the RFC's error code and the connection ends;
// a malformed request gets RST_STREAM and the connection goes on. Memory a
// client can make us hold is bounded: frame size, header block size (checked
// as CONTINUATION frames arrive, before they are joined), request bytes held
// per connection (the connection window stops opening past a budget), output
// a client does not read (we stop reading it), and control frames that do no
// work (a rate budget, as nghttp2's flood checks do).
import type { Duplex } from 'node:stream';
import { errorText } from '../../common/error-text';
import type { Logger } from '../../logging/logger';
import { noteChurn } from '../../common/idle-gc';
import {
  CLIENT_PREFACE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  goAwayFrame,
  H2Error,
  MAX_WINDOW,
  smallFrame,
  u32,
  unpad,
} from './frames';
import { logConnectionError, logSocketError, logStreamError } from './connection-log';
import { HeaderBlockReader, type HeaderBlock } from './header-block';
import { encodeHeaderBlock, type HeaderField } from './hpack';
import { DEFAULT_LIMITS, FloodBudget, type H2Limits } from './limits';
import { Outbound } from './outbound';
import { ReceiveWindow } from './receive-window';
import { requestHeaders } from './request-headers';
import { encodeSettings, readSettings } from './settings';
import { H2Stream, type StreamOwner } from './stream';

interface H2ConnectionOptions {
  onStream(stream: H2Stream): void;
  limits?: Partial<H2Limits>;
  /** Where connection and stream errors are reported; silent without one. */
  log?: Logger;
}

export class H2Connection implements StreamOwner {
  private readonly limits: H2Limits;
  private readonly reader: FrameReader;
  private readonly blocks: HeaderBlockReader;
  private readonly flood: FloodBudget;
  private readonly out: Outbound;
  private readonly streams = new Map<number, H2Stream>();
  private prefaceSeen = 0;
  private settingsSeen = false;
  private lastStreamId = 0;
  private peerInitialWindow = DEFAULT_WINDOW;
  private readonly window: ReceiveWindow;
  private goingAway = false;
  private peerGoingAway = false;
  private closed = false;
  private readonly closeWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: Duplex,
    private readonly options: H2ConnectionOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.window = new ReceiveWindow(this.limits.connectionWindow, this.limits.heldBudget, (increment) => {
      if (!this.closed) this.out.push(smallFrame(FrameType.WINDOW_UPDATE, 0, 0, u32(increment)));
    });
    this.flood = new FloodBudget(this.limits.floodBurst, this.limits.floodPerSecond);
    this.blocks = new HeaderBlockReader(this.limits.maxHeaderListSize, () => this.spend());
    this.reader = new FrameReader(this.limits.maxFrameSize);
    this.out = new Outbound(
      socket,
      this.limits.outputHighWater,
      (backlogged) => (backlogged ? socket.pause() : socket.resume()),
      (stream) => this.localEnd(stream),
    );
    this.sendSettings();
    const handshake = setTimeout(() => {
      if (!this.settingsSeen)
        this.fail(new H2Error(ErrorCode.PROTOCOL_ERROR, 'no SETTINGS from the client in time'));
    }, this.limits.handshakeMs);
    handshake.unref();
    this.closeWaiters.push(() => clearTimeout(handshake));
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', (err) => {
      if (!this.closed) logSocketError(this.options.log, err);
      this.terminate();
    });
    socket.on('close', () => this.terminate());
    socket.on('end', () => this.terminate());
    socket.resume();
  }

  /** Resolves once the connection is gone. */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Graceful close: GOAWAY now, the end once the streams already started are answered. */
  goAway(): void {
    if (this.closed || this.goingAway) return;
    this.goingAway = true;
    this.out.push(goAwayFrame(this.lastStreamId, ErrorCode.NO_ERROR, ''));
    this.endIfIdle();
  }

  destroy(): void {
    this.socket.destroy();
    this.terminate();
  }

  answer(
    stream: H2Stream,
    headers: readonly HeaderField[],
    body?: readonly Buffer[],
    trailers?: readonly HeaderField[],
  ): void {
    if (stream.closed || stream.answered || this.closed) return;
    stream.answered = true;
    const headersOnly = body === undefined && trailers === undefined;
    this.out.headers(stream.id, encodeHeaderBlock(headers), headersOnly);
    if (headersOnly) {
      this.localEnd(stream);
      return;
    }
    stream.pending = body ? [...body] : [];
    stream.trailers = trailers ? encodeHeaderBlock(trailers) : undefined;
    this.out.pump(stream);
  }

  reset(stream: H2Stream, code: number): void {
    if (stream.closed || this.closed) return;
    this.out.push(smallFrame(FrameType.RST_STREAM, 0, stream.id, u32(code)));
    this.closeStream(stream);
  }

  private sendSettings(): void {
    this.out.push(smallFrame(FrameType.SETTINGS, 0, 0, encodeSettings(this.limits)));
    this.window.open();
  }

  private onBytes(chunk: Buffer): void {
    noteChurn(chunk.length);
    if (this.closed) return;
    try {
      if (this.prefaceSeen < CLIENT_PREFACE.length) {
        const n = Math.min(CLIENT_PREFACE.length - this.prefaceSeen, chunk.length);
        if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + n))) {
          throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'not the HTTP/2 client preface');
        }
        this.prefaceSeen += n;
        chunk = chunk.subarray(n);
        if (chunk.length === 0) return;
      }
      this.reader.read(chunk, (frame) => {
        try {
          this.onFrame(frame);
        } catch (err) {
          if (!(err instanceof H2Error && err.streamId !== 0)) throw err;
          this.streamError(err);
        }
        return !this.closed;
      });
    } catch (err) {
      this.fail(err);
    }
  }

  private onFrame(frame: Frame): void {
    if (this.blocks.open && frame.type !== FrameType.CONTINUATION) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, `frame type ${frame.type} inside a header block`);
    }
    if (!this.settingsSeen && (frame.type !== FrameType.SETTINGS || frame.flags & Flag.ACK)) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'the connection must start with SETTINGS');
    }
    switch (frame.type) {
      case FrameType.DATA:
        return this.onData(frame);
      case FrameType.HEADERS:
        return this.onHeaders(frame);
      case FrameType.CONTINUATION:
        return this.onContinuation(frame);
      case FrameType.PRIORITY:
        if (frame.streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        this.spend();
        if (frame.payload.length !== 5) {
          throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY is 5 bytes', frame.streamId);
        }
        return;
      case FrameType.RST_STREAM:
        return this.onReset(frame);
      case FrameType.SETTINGS:
        return this.onSettings(frame);
      case FrameType.PUSH_PROMISE:
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'a client may not send PUSH_PROMISE');
      case FrameType.PING:
        return this.onPing(frame);
      case FrameType.GOAWAY:
        return this.onGoAway(frame);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(frame);
      default:
        // Unknown frame types are ignored (RFC 9113 §4.1), but not for free.
        this.spend();
    }
  }

  private onData(frame: Frame): void {
    const id = frame.streamId;
    if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const length = frame.payload.length;
    this.window.take(length);
    const stream = this.streams.get(id);
    if (!stream) {
      if (id > this.lastStreamId) throw new H2Error(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      // A stream we already closed: its bytes still count against the connection window.
      this.window.consumed(length, 0);
      return;
    }
    const body = unpad(frame);
    if (stream.remoteEnded) {
      this.window.consumed(length, 0);
      throw new H2Error(ErrorCode.STREAM_CLOSED, 'DATA after END_STREAM', id);
    }
    if (length > stream.recvWindow) {
      this.window.consumed(length, 0);
      throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the stream window', id);
    }
    const endStream = (frame.flags & Flag.END_STREAM) !== 0;
    if (length === 0 && !endStream) this.spend();
    stream.recvWindow -= length;
    stream.held += length;
    this.window.consumed(length, length);
    if (body.length > 0) stream.onData?.(body);
    if (stream.closed) return;
    stream.recvUnacked += length;
    if (!endStream && stream.recvUnacked >= this.limits.streamWindow / 2) {
      this.out.push(smallFrame(FrameType.WINDOW_UPDATE, 0, id, u32(stream.recvUnacked)));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
    if (endStream) this.remoteEnd(stream);
  }

  private onHeaders(frame: Frame): void {
    const block = this.blocks.headers(frame);
    if (block) this.onHeaderBlock(block);
  }

  private onContinuation(frame: Frame): void {
    const block = this.blocks.continuation(frame);
    if (block) this.onHeaderBlock(block);
  }

  private onHeaderBlock(block: HeaderBlock): void {
    const id = block.streamId;
    const existing = this.streams.get(id);
    if (existing) {
      // Trailers: they end the request, and gRPC has no use for their content.
      if (existing.remoteEnded) throw new H2Error(ErrorCode.STREAM_CLOSED, 'HEADERS after END_STREAM', id);
      if (!block.endStream) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM', id);
      return this.remoteEnd(existing);
    }
    if (id % 2 === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, `client stream ${id} has an even id`);
    if (id <= this.lastStreamId) {
      throw new H2Error(
        ErrorCode.PROTOCOL_ERROR,
        `HEADERS on stream ${id} after stream ${this.lastStreamId}`,
      );
    }
    this.lastStreamId = id;
    if (this.goingAway) throw new H2Error(ErrorCode.REFUSED_STREAM, 'the server is going away', id);
    if (this.streams.size >= this.limits.maxConcurrentStreams) {
      throw new H2Error(ErrorCode.REFUSED_STREAM, 'too many concurrent streams', id);
    }
    const headers = requestHeaders(id, block.fields);
    const stream = new H2Stream(id, headers, this, this.peerInitialWindow, this.limits.streamWindow);
    this.streams.set(id, stream);
    this.options.onStream(stream);
    if (block.endStream && !stream.closed) this.remoteEnd(stream);
  }

  private onReset(frame: Frame): void {
    if (frame.streamId === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (frame.payload.length !== 4) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM is 4 bytes');
    if (frame.streamId > this.lastStreamId) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${frame.streamId}`);
    }
    this.spend();
    const stream = this.streams.get(frame.streamId);
    if (stream) this.closeStream(stream);
  }

  private onSettings(frame: Frame): void {
    if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (frame.flags & Flag.ACK) {
      if (frame.payload.length !== 0)
        throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    const settings = readSettings(frame.payload);
    if (this.settingsSeen) this.spend();
    this.settingsSeen = true;
    if (settings.maxFrameSize !== undefined) this.out.peerMaxFrame = settings.maxFrameSize;
    const windowChanged = settings.initialWindow !== undefined;
    if (settings.initialWindow !== undefined) {
      const delta = settings.initialWindow - this.peerInitialWindow;
      this.peerInitialWindow = settings.initialWindow;
      for (const stream of this.streams.values()) {
        stream.sendWindow += delta;
        if (stream.sendWindow > MAX_WINDOW) {
          throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'a stream window grew past 2^31-1');
        }
      }
    }
    this.out.push(smallFrame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(0)));
    if (windowChanged) for (const stream of this.streams.values()) this.out.pump(stream);
  }

  private onPing(frame: Frame): void {
    if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
    if (frame.payload.length !== 8) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'PING is 8 bytes');
    if (frame.flags & Flag.ACK) return;
    this.spend();
    this.out.push(smallFrame(FrameType.PING, Flag.ACK, 0, frame.payload));
  }

  private onGoAway(frame: Frame): void {
    if (frame.streamId !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (frame.payload.length < 8) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY is at least 8 bytes');
    this.spend();
    this.peerGoingAway = true;
    this.endIfIdle();
  }

  private onWindowUpdate(frame: Frame): void {
    if (frame.payload.length !== 4) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE is 4 bytes');
    const increment = frame.payload.readUInt32BE(0) & 0x7fffffff;
    const id = frame.streamId;
    if (id === 0) {
      if (increment === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.out.sendWindow += increment;
      if (this.out.sendWindow > MAX_WINDOW) {
        throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'connection window grew past 2^31-1');
      }
      this.out.windowOpened();
      return;
    }
    if (id > this.lastStreamId)
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`);
    const stream = this.streams.get(id);
    if (!stream) return;
    if (increment === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0', id);
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'stream window grew past 2^31-1', id);
    }
    this.out.pump(stream);
  }

  private release(stream: H2Stream): void {
    this.window.release(stream.held);
    stream.held = 0;
  }

  private remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    this.release(stream);
    stream.onEnd?.();
    if (stream.localEnded) this.closeStream(stream);
  }

  private localEnd(stream: H2Stream): void {
    stream.localEnded = true;
    if (stream.remoteEnded) this.closeStream(stream);
  }

  private closeStream(stream: H2Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.streams.delete(stream.id);
    this.out.forget(stream);
    this.release(stream);
    stream.onClose?.();
    this.endIfIdle();
  }

  private streamError(err: H2Error): void {
    this.spend();
    if (this.closed) return;
    logStreamError(this.options.log, err);
    this.out.push(smallFrame(FrameType.RST_STREAM, 0, err.streamId, u32(err.code)));
    const stream = this.streams.get(err.streamId);
    if (stream) this.closeStream(stream);
  }

  private spend(): void {
    this.flood.spend();
  }

  private endIfIdle(): void {
    if ((this.goingAway || this.peerGoingAway) && this.streams.size === 0 && !this.closed) {
      // Every close is announced (RFC 9113 §6.8), also when the client asked for it.
      if (!this.goingAway) this.out.push(goAwayFrame(this.lastStreamId, ErrorCode.NO_ERROR, ''));
      this.goingAway = true;
      this.out.flush();
      this.socket.end();
    }
  }

  /** A connection error: GOAWAY with its code, then the connection ends. */
  private fail(err: unknown): void {
    if (this.closed) return;
    const code = err instanceof H2Error ? err.code : ErrorCode.INTERNAL_ERROR;
    logConnectionError(this.options.log, err);
    const why = errorText(err);
    this.out.push(goAwayFrame(this.lastStreamId, code, why));
    this.out.flush();
    this.terminate();
    this.socket.end();
    // A client that does not read its GOAWAY is not waited for.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private terminate(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocks.drop();
    for (const stream of [...this.streams.values()]) this.closeStream(stream);
    for (const resolve of this.closeWaiters.splice(0)) resolve();
  }
}
