// gRPC's unary calls over HTTP/2, on node:http2 directly. The agent needs only
// unary calls on connections it accepts itself (unix, vsock, yamux streams), so
// this replaces a general gRPC server library: less to load at boot, and about
// a third less time per call (measured in docs/benchmarks.md). The protocol:
// POST /package.Service/Method, content-type application/grpc, one message
// framed as [compressed flag:1][length:4 BE][bytes]; the answer is headers, one
// framed message and trailers carrying grpc-status and grpc-message, or, on
// error, a single headers frame with the status ("Trailers-Only").
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { admitConnection } from './authority-guard';
import { AgentError } from './errors';
import { Code } from './status';
import type { CallMetadata } from './types';

/** One call as the method handlers see it. */
export interface WireCall {
  metadata: CallMetadata;
  /** True once the client has cancelled, gone away or its deadline passed. */
  cancelled(): boolean;
  /** Runs `fn` on cancellation; returns an unsubscribe function. */
  onCancel(fn: () => void): () => void;
}

/** Answers a request message with the response message (as one or more buffers), or throws an AgentError. */
export type UnaryHandler = (request: Buffer, call: WireCall) => Promise<Buffer | Buffer[]>;

export interface WireServerOptions {
  /** Finds the handler of a path such as "/grpc.Health/Check". */
  route(path: string): UnaryHandler | undefined;
  maxMessageBytes: number;
}

const { HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_PATH, HTTP2_HEADER_METHOD } =
  http2.constants;
const FRAME_HEADER = 5;
// Go clients say how long they wait as "<digits><unit>".
const TIMEOUT_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
// The HTTP/2 defaults (64 KiB windows) would cost a round trip per 64 KiB of a large WriteStdin or CopyFile.
const STREAM_WINDOW = 1 << 20;
const SESSION_WINDOW = 16 << 20;
// Frames larger than the 16 KiB default: a 32 KiB WriteStdin arrives in one DATA frame.
const MAX_FRAME = 1 << 20;
// grpc-message rides in a header: keep runtime error texts from blowing header limits.
const MAX_STATUS_MESSAGE = 16 * 1024;

export class WireServer {
  private readonly h2: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private closing = false;

  constructor(private readonly options: WireServerOptions) {
    this.h2 = http2.createServer({
      settings: { initialWindowSize: STREAM_WINDOW, maxHeaderListSize: 1 << 20, maxFrameSize: MAX_FRAME },
      // In MB: request bodies up to the message limit are buffered in the session.
      maxSessionMemory: 256,
      maxSendHeaderBlockLength: 1 << 20,
    });
    this.h2.on('session', (session) => {
      if (this.closing) {
        session.destroy();
        return;
      }
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      // A peer's protocol error ends its session only; the 'close' above tidies up.
      session.on('error', () => undefined);
      session.once('connect', () => {
        if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW);
      });
    });
    this.h2.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  /** Serves HTTP/2 on an already-connected byte stream. */
  inject(connection: Duplex): void {
    if (this.closing) {
      connection.destroy();
      return;
    }
    // Old grpc-go clients send an :authority that nghttp2 would refuse: see ./authority-guard.ts.
    admitConnection(connection, (admitted) => {
      if (this.closing) admitted.destroy();
      else this.h2.emit('connection', admitted);
    });
  }

  /** Sends GOAWAY to every session, lets their calls finish for `graceMs`, then cuts them. */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const sessions = [...this.sessions];
    const closed = sessions.map((s) => new Promise<void>((resolve) => s.close(resolve)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    for (const s of sessions) if (!s.destroyed) s.destroy();
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    // Errors on a stream (a reset racing our answer) concern that call only.
    stream.on('error', () => undefined);
    if (headers[HTTP2_HEADER_METHOD] !== 'POST') {
      stream.respond({ [HTTP2_HEADER_STATUS]: 405 }, { endStream: true });
      return;
    }
    const contentType = String(headers[HTTP2_HEADER_CONTENT_TYPE] ?? '');
    if (!contentType.startsWith('application/grpc')) {
      stream.respond({ [HTTP2_HEADER_STATUS]: 415 }, { endStream: true });
      return;
    }
    const path = String(headers[HTTP2_HEADER_PATH] ?? '');
    const handler = this.options.route(path);
    if (!handler) {
      // Drain what the client sends; the answer does not depend on it.
      stream.resume();
      sendStatus(stream, Code.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    new UnaryCall(stream, headers, handler, this.options.maxMessageBytes).run();
  }
}

/** One unary call from its first byte to its trailers. */
class UnaryCall implements WireCall {
  private readonly listeners = new Set<() => void>();
  private done = false;
  private isCancelled = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    readonly metadata: http2.IncomingHttpHeaders,
    private readonly handler: UnaryHandler,
    private readonly maxMessageBytes: number,
  ) {}

  cancelled(): boolean {
    return this.isCancelled;
  }

  onCancel(fn: () => void): () => void {
    if (this.isCancelled) {
      fn();
      return () => undefined;
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  run(): void {
    const timeoutMs = parseTimeout(this.metadata['grpc-timeout']);
    if (timeoutMs !== undefined) {
      this.deadline = setTimeout(() => {
        this.cancel();
        this.finish(Code.DEADLINE_EXCEEDED, 'Deadline exceeded');
      }, timeoutMs);
    }
    // The stream closes before our answer when the client resets it or goes away.
    this.stream.once('close', () => {
      if (!this.done) this.cancel();
      this.done = true;
      clearTimeout(this.deadline);
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      // The declared length is known from the first five bytes: refuse at once rather than buffer.
      const declared = size >= FRAME_HEADER ? declaredLength(chunks) : 0;
      if (size > this.maxMessageBytes + FRAME_HEADER || declared > this.maxMessageBytes) {
        this.refuseBody(onData, chunks);
      }
    };
    this.stream.on('data', onData);
    this.stream.once('end', () => {
      if (this.done) return;
      let message: Buffer;
      try {
        message = this.unframe(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      } catch (err) {
        const { code, message: text } = err as AgentError;
        this.finish(code, text);
        return;
      }
      this.handler(message, this).then(
        (response) => this.respond(response),
        (err: unknown) => {
          const { code, message: text } =
            err instanceof AgentError ? err : { code: Code.UNKNOWN, message: String(err) };
          this.finish(code, text);
        },
      );
    });
  }

  /**
   * Answers RESOURCE_EXHAUSTED, drops what was buffered and stops the client
   * sending more: the stream is reset (NO_ERROR) once the status is on its way,
   * so a client streaming without end costs nothing further.
   */
  private refuseBody(onData: (chunk: Buffer) => void, chunks: Buffer[]): void {
    this.stream.off('data', onData);
    chunks.length = 0;
    this.finish(Code.RESOURCE_EXHAUSTED, `request larger than ${this.maxMessageBytes} bytes`);
    // Reset only after the status headers have been handed to the session, or they would be dropped.
    setImmediate(() => {
      if (!this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    this.stream.resume();
  }

  /** The one request message of a unary call, decompressed if the client compressed it. */
  private unframe(body: Buffer): Buffer {
    if (body.length < FRAME_HEADER)
      throw new AgentError(Code.INTERNAL, 'unary call without a request message');
    const length = body.readUInt32BE(1);
    if (length > this.maxMessageBytes)
      throw new AgentError(Code.RESOURCE_EXHAUSTED, `request larger than ${this.maxMessageBytes} bytes`);
    if (body.length !== FRAME_HEADER + length)
      throw new AgentError(
        Code.INTERNAL,
        body.length < FRAME_HEADER + length
          ? 'request message cut short'
          : 'unary call with more than one request message',
      );
    const message = body.subarray(FRAME_HEADER);
    if (body[0] === 0) return message;
    const encoding = String(this.metadata['grpc-encoding'] ?? 'identity');
    // The gRPC spec: a compressed message without a message encoding is a protocol error.
    if (encoding === 'identity')
      throw new AgentError(Code.INTERNAL, 'compressed request without grpc-encoding');
    const limit = { maxOutputLength: this.maxMessageBytes };
    try {
      if (encoding === 'gzip') return zlib.gunzipSync(message, limit);
      if (encoding === 'deflate') return zlib.inflateSync(message, limit);
    } catch (err) {
      throw new AgentError(Code.INTERNAL, `cannot decompress the request: ${(err as Error).message}`);
    }
    throw new AgentError(Code.UNIMPLEMENTED, `request compressed with unsupported encoding ${encoding}`);
  }

  private respond(response: Buffer | Buffer[]): void {
    if (this.done || this.stream.destroyed || this.stream.closed) return;
    this.done = true;
    clearTimeout(this.deadline);
    const parts = Array.isArray(response) ? response : [response];
    const length = parts.reduce((n, p) => n + p.length, 0);
    const prefix = Buffer.allocUnsafe(FRAME_HEADER);
    prefix[0] = 0;
    prefix.writeUInt32BE(length, 1);
    this.stream.respond(
      { [HTTP2_HEADER_STATUS]: 200, [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc' },
      { waitForTrailers: true },
    );
    this.stream.once('wantTrailers', () => this.stream.sendTrailers({ 'grpc-status': '0' }));
    // Written as they are: large payloads (ReadStdout) are never copied here.
    this.stream.write(prefix);
    for (let i = 0; i < parts.length - 1; i++) this.stream.write(parts[i]);
    this.stream.end(parts[parts.length - 1]);
  }

  private finish(code: Code, message: string): void {
    if (this.done || this.stream.destroyed) return;
    this.done = true;
    clearTimeout(this.deadline);
    sendStatus(this.stream, code, message);
  }

  private cancel(): void {
    if (this.isCancelled) return;
    this.isCancelled = true;
    for (const fn of this.listeners) fn();
    this.listeners.clear();
  }
}

function sendStatus(stream: http2.ServerHttp2Stream, code: Code, message: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond(
    {
      [HTTP2_HEADER_STATUS]: 200,
      [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': percentEncode(message.slice(0, MAX_STATUS_MESSAGE)),
    },
    { endStream: true },
  );
}

// setTimeout fires at once for delays past 2^31 - 1 ms (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Milliseconds of a grpc-timeout header ("100m", "5S"); undefined when absent,
 * malformed, or too far away for a timer: such a deadline never comes in practice.
 */
export function parseTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  const ms = Math.max(1, Math.ceil(Number(match[1]) * TIMEOUT_UNITS_MS[match[2]]));
  return ms > MAX_TIMER_MS ? undefined : ms;
}

/**
 * grpc-message is percent-encoded UTF-8: bytes outside printable ASCII, and
 * '%' itself, become %XX. Lone surrogates turn into U+FFFD on the way.
 */
export function percentEncode(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The message length a request's 5-byte gRPC prefix declares (the prefix may span chunks). */
function declaredLength(chunks: readonly Buffer[]): number {
  const head = chunks[0].length >= FRAME_HEADER ? chunks[0] : Buffer.concat(chunks).subarray(0, FRAME_HEADER);
  return head.readUInt32BE(1);
}
