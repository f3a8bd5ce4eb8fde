// A bare HTTP/2 client for tests that must send what no real client sends:
// frames are written as given and every frame the server answers is kept.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CLIENT_PREFACE,
  ErrorCode,
  Flag,
  FrameReader,
  FrameType,
  smallFrame,
  type Frame,
  u32,
} from '../../src/rpc/h2/frames';
import { encodeHeaderBlock } from '../../src/rpc/h2/hpack';

export const H2 = { ErrorCode, Flag, FrameType };
export { u32 };

interface GoAway {
  lastStreamId: number;
  code: number;
  debug: string;
}

export class RawH2 {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private readonly waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  constructor(readonly socket: Duplex) {
    const reader = new FrameReader(16 << 20);
    socket.on('data', (chunk: Buffer) =>
      reader.read(chunk, (frame) => {
        // Keep a copy: the reader's views share memory with later reads.
        const kept = { ...frame, payload: Buffer.from(frame.payload) };
        this.frames.push(kept);
        for (const w of [...this.waiters]) {
          if (w.match(kept)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(kept);
          }
        }
        return true;
      }),
    );
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connects to a unix socket, sends the preface and an empty SETTINGS. */
  static async connect(socketPath: string, settings: Buffer = Buffer.alloc(0)): Promise<RawH2> {
    const socket = net.connect(socketPath);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return RawH2.over(socket, settings);
  }

  static over(socket: Duplex, settings: Buffer = Buffer.alloc(0)): RawH2 {
    const client = new RawH2(socket);
    client.write(Buffer.concat([CLIENT_PREFACE, smallFrame(FrameType.SETTINGS, 0, 0, settings)]));
    return client;
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  send(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): void {
    this.write(smallFrame(type, flags, streamId, payload));
  }

  /** HEADERS for a gRPC POST to `path` (END_HEADERS), optionally ending the stream. */
  headers(streamId: number, path: string, endStream = false, extra: [string, string][] = []): void {
    const block = encodeHeaderBlock([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', path],
      [':authority', 'vsock://3:1024'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ...extra,
    ]);
    this.send(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block);
  }

  /** A whole unary call with an empty request message. */
  call(streamId: number, path = '/grpc.Health/Check', extra: [string, string][] = []): void {
    this.headers(streamId, path, false, extra);
    this.send(FrameType.DATA, Flag.END_STREAM, streamId, Buffer.alloc(5));
  }

  next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) {
          this.waiters.splice(at, 1);
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${this.describe()}`));
        }
      }, timeoutMs).unref();
    });
  }

  async goAway(timeoutMs = 5000): Promise<GoAway> {
    const f = await this.next((x) => x.type === FrameType.GOAWAY, timeoutMs);
    return {
      lastStreamId: f.payload.readUInt32BE(0),
      code: f.payload.readUInt32BE(4),
      debug: f.payload.subarray(8).toString(),
    };
  }

  /** The stream's end: its last HEADERS (END_STREAM) or a RST_STREAM. */
  streamEnd(streamId: number, timeoutMs = 5000): Promise<Frame> {
    return this.next(
      (f) =>
        f.streamId === streamId &&
        (f.type === FrameType.RST_STREAM ||
          ((f.type === FrameType.HEADERS || f.type === FrameType.DATA) && (f.flags & Flag.END_STREAM) !== 0)),
      timeoutMs,
    );
  }

  describe(): string {
    return this.frames.map((f) => `${f.type}/${f.flags}/${f.streamId}(${f.payload.length})`).join(' ');
  }

  close(): void {
    this.socket.destroy();
  }
}

export function settingsPayload(pairs: [number, number][]): Buffer {
  const b = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    b.writeUInt16BE(id, i * 6);
    b.writeUInt32BE(value, i * 6 + 2);
  });
  return b;
}
