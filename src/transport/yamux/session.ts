// A yamux session over one byte stream (a unix socket, a virtio-serial port):
// many independent streams, each a Duplex. The same class serves both ends:
// the client opens odd stream ids, the server even ones, and either side can
// accept the streams the other opens ('stream' event).
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../logging/logger';
import {
  describeFrame,
  encodeHeader,
  Flag,
  FrameDecoder,
  FrameType,
  GoAwayCode,
  INITIAL_WINDOW,
  ProtocolError,
  type FrameHeader,
  type FrameSink,
} from './frame';
import { YamuxStream, type StreamHost } from './stream';
import { errorText } from '../../common/error-text';

export interface SessionOptions {
  role: 'client' | 'server';
  /** Receive window per stream; the protocol starts every stream at 256 KiB and we may grant more. */
  maxStreamWindow?: number;
  /** Largest data frame we send: smaller frames interleave streams more fairly. */
  maxFrame?: number;
  /** Send a ping this often and close the session when one goes unanswered; 0 (default) = off. */
  keepAliveIntervalMs?: number;
  /** How long a ping may take (keepalive and ping()). */
  pingTimeoutMs?: number;
  log?: Logger;
}

interface PendingPing {
  sentAt: bigint;
  resolve: (rttMs: number) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const MAX_STREAM_ID = 0xffffffff;
// Unread output past which the session stops reading its peer.
const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;

export class Session extends EventEmitter implements StreamHost {
  readonly role: 'client' | 'server';
  readonly maxWindow: number;
  readonly maxFrame: number;
  private readonly streams = new Map<number, YamuxStream>();
  private readonly decoder: FrameDecoder;
  private readonly pings = new Map<number, PendingPing>();
  private readonly log: Logger | undefined;
  private readonly pingTimeoutMs: number;
  private nextStreamId: number;
  private nextPingId = 1;
  private congested = false;
  private drainWaiters: (() => void)[] = [];
  private localGoAway = false;
  private remoteGoAway = false;
  private closedWith: { err: Error | undefined } | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private readingPaused = false;

  constructor(
    private readonly conn: Duplex,
    options: SessionOptions,
  ) {
    super();
    this.role = options.role;
    this.maxWindow = Math.max(INITIAL_WINDOW, options.maxStreamWindow ?? INITIAL_WINDOW);
    this.maxFrame = Math.max(1024, options.maxFrame ?? 64 * 1024);
    this.pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
    this.log = options.log?.child({ component: 'yamux' });
    this.nextStreamId = this.role === 'client' ? 1 : 2;
    this.decoder = new FrameDecoder(this.frameSink(), this.maxWindow);
    conn.on('data', (chunk: Buffer) => this.receive(chunk));
    conn.on('end', () => this.close());
    conn.on('error', (err: Error) => this.close(err));
    conn.on('close', () => this.close());
    conn.on('drain', () => this.drained());
    if (options.keepAliveIntervalMs) {
      this.keepAlive = setInterval(() => {
        this.ping().catch((err: Error) => this.fail(new Error(`keepalive failed: ${err.message}`)));
      }, options.keepAliveIntervalMs);
      this.keepAlive.unref();
    }
  }

  override on(event: 'stream', listener: (stream: YamuxStream) => void): this;
  override on(event: 'close', listener: (err: Error | undefined) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once(event: 'close', listener: (err: Error | undefined) => void): this;
  override once(event: string, listener: (...args: never[]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  get open(): boolean {
    return !this.closedWith;
  }

  get closed(): boolean {
    return !!this.closedWith;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Opens a new stream; the peer sees it at once (SYN), data may follow immediately. */
  openStream(): YamuxStream {
    if (this.closedWith) throw new Error('yamux session is closed');
    if (this.remoteGoAway) throw new Error('yamux peer is not accepting new streams (go away)');
    const id = this.nextStreamId;
    if (id > MAX_STREAM_ID - 1) throw new Error('yamux stream ids exhausted');
    this.nextStreamId += 2;
    const stream = new YamuxStream(this, id, true);
    this.streams.set(id, stream);
    stream.announce();
    return stream;
  }

  /** Round-trip time of one ping, in milliseconds. */
  ping(timeoutMs = this.pingTimeoutMs): Promise<number> {
    if (this.closedWith) return Promise.reject(new Error('yamux session is closed'));
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 1) >>> 0 || 1;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new Error(`yamux ping not answered within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(id, { sentAt: process.hrtime.bigint(), resolve, reject, timer });
      this.sendFrame(FrameType.Ping, Flag.SYN, 0, id);
    });
  }

  /** Tells the peer we accept no more streams; existing streams carry on. */
  goAway(): void {
    if (this.closedWith || this.localGoAway) return;
    this.localGoAway = true;
    this.sendFrame(FrameType.GoAway, 0, 0, GoAwayCode.Normal);
  }

  /** Ends the session: every stream is reset and the connection closed. */
  close(err?: Error): void {
    if (this.closedWith) return;
    this.closedWith = { err };
    clearInterval(this.keepAlive);
    for (const p of this.pings.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('yamux session closed'));
    }
    this.pings.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.sessionClosed(err);
    this.drained();
    if (!this.conn.destroyed) {
      // Let queued frames (a go away) reach the peer, then let go of the connection.
      const timer = setTimeout(() => this.conn.destroy(), 2000).unref();
      this.conn.end(() => {
        clearTimeout(timer);
        this.conn.destroy();
      });
    }
    process.nextTick(() => this.emit('close', err));
  }

  // --- StreamHost ---

  sendFrame(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): boolean {
    if (this.closedWith || !this.conn.writable) return false;
    const header = encodeHeader(type, flags, streamId, length);
    let ok: boolean;
    if (payload) {
      this.conn.cork();
      this.conn.write(header);
      ok = this.conn.write(payload);
      this.conn.uncork();
    } else {
      ok = this.conn.write(header);
    }
    if (!ok) this.congested = true;
    return ok;
  }

  whenWritable(fn: () => void): void {
    if (this.congested && !this.closedWith) this.drainWaiters.push(fn);
    else queueMicrotask(fn);
  }

  forget(stream: YamuxStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

  // --- receiving ---

  private receive(chunk: Buffer): void {
    if (this.closedWith) return;
    try {
      this.decoder.write(chunk);
    } catch (err) {
      if (err instanceof ProtocolError) this.protocolFailure(err);
      else this.fail(err as Error);
      return;
    }
    // A peer that sends (pings, window games) without reading our answers would
    // grow our output without bound: stop reading it until it catches up.
    if (this.congested && !this.readingPaused && this.conn.writableLength > OUTPUT_HIGH_WATER) {
      this.readingPaused = true;
      this.conn.pause();
    }
  }

  private protocolFailure(err: ProtocolError): void {
    this.log?.warn({ error: errorText(err) }, 'yamux protocol error, closing the session');
    this.sendFrame(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError);
    this.close(err);
  }

  private fail(err: Error): void {
    this.log?.warn({ error: errorText(err) }, 'yamux session failed');
    this.sendFrame(FrameType.GoAway, 0, 0, GoAwayCode.InternalError);
    this.close(err);
  }

  private frameSink(): FrameSink {
    return {
      header: (h) => this.onHeader(h),
      payload: (h, piece) => this.streams.get(h.streamId)?.receivePayload(piece),
      end: (h) => this.onFrameEnd(h),
    };
  }

  private onHeader(h: FrameHeader): void {
    if (h.type !== FrameType.Data && h.type !== FrameType.WindowUpdate) return;
    if (h.flags & Flag.SYN) this.incoming(h.streamId);
    const stream = this.streams.get(h.streamId);
    if (!stream) {
      // Usually a frame racing our reset or close; the payload is skipped.
      if (h.type === FrameType.Data && h.length > 0)
        this.log?.debug({ frame: describeFrame(h) }, 'discarding data for an unknown stream');
      return;
    }
    if (h.type === FrameType.Data) stream.acceptData(h.length);
  }

  private onFrameEnd(h: FrameHeader): void {
    switch (h.type) {
      case FrameType.Data:
        this.streams.get(h.streamId)?.receiveFlags(h.flags);
        return;
      case FrameType.WindowUpdate: {
        const stream = this.streams.get(h.streamId);
        if (!stream) return;
        stream.receiveWindowUpdate(h.length);
        stream.receiveFlags(h.flags);
        return;
      }
      case FrameType.Ping:
        this.onPing(h);
        return;
      case FrameType.GoAway:
        this.onGoAway(h.length);
        return;
    }
  }

  private incoming(id: number): void {
    if (id === 0) throw new ProtocolError('SYN on stream 0');
    if (this.streams.has(id)) throw new ProtocolError(`duplicate stream ${id}`);
    if (this.localGoAway || this.listenerCount('stream') === 0) {
      this.sendFrame(FrameType.WindowUpdate, Flag.RST, id, 0);
      return;
    }
    const stream = new YamuxStream(this, id, false);
    this.streams.set(id, stream);
    stream.announce();
    this.emit('stream', stream);
  }

  private onPing(h: FrameHeader): void {
    if (h.flags & Flag.SYN) {
      this.sendFrame(FrameType.Ping, Flag.ACK, 0, h.length);
      return;
    }
    const pending = this.pings.get(h.length);
    if (!pending) return;
    this.pings.delete(h.length);
    clearTimeout(pending.timer);
    pending.resolve(Number(process.hrtime.bigint() - pending.sentAt) / 1e6);
  }

  private onGoAway(code: number): void {
    if (code === GoAwayCode.Normal) {
      this.remoteGoAway = true;
      return;
    }
    const reason =
      code === GoAwayCode.ProtocolError
        ? 'peer reported a protocol error'
        : code === GoAwayCode.InternalError
          ? 'peer reported an internal error'
          : `peer sent go away code ${code}`;
    this.log?.warn({ code }, `yamux ${reason}`);
    this.close(new Error(`yamux ${reason}`));
  }

  private drained(): void {
    this.congested = false;
    if (this.readingPaused) {
      this.readingPaused = false;
      this.conn.resume();
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const fn of waiters) fn();
  }
}
