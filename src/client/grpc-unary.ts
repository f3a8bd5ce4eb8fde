// A small unary gRPC client on Node's http2, over any connected byte stream:
// a unix socket, a vsock socket, a hybrid-vsock socket after its handshake, or
// a yamux stream. grpc-js clients only dial addresses, and the agent's
// channels are not all addresses.
//
// Hosts poll container output with one ReadStdout per 32 KiB chunk, so a call
// costs as little as it can: one listener set shared by every call (the call's
// state hangs off its stream), no timer without a timeout, no copy of a
// response that arrives in one piece, and receive windows wide enough that a
// 1 MiB answer never waits for WINDOW_UPDATEs (bench/client-overhead.ts).
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { Code as Status } from '../common/status';

export class RpcError extends Error {
  constructor(
    readonly code: Status,
    readonly details: string,
  ) {
    super(`${Status[code] ?? code}: ${details}`);
    this.name = 'RpcError';
  }
}

export interface UnaryOptions {
  /** Milliseconds; sent as grpc-timeout and enforced locally. */
  timeoutMs?: number;
  metadata?: Record<string, string>;
}

/** Receive window of each stream (HTTP/2 default: 64 KiB). */
const STREAM_WINDOW = 4 * 1024 * 1024;
/** Receive window of the connection, shared by concurrent calls. */
const SESSION_WINDOW = 16 * 1024 * 1024;
// Larger frames than the 16 KiB default: a 32 KiB read arrives in one DATA frame.
const MAX_FRAME = 1024 * 1024;
/** Requests up to this size are copied behind their 5-byte prefix; larger ones are written as they are. */
const COPY_LIMIT = 16 * 1024;
const NO_OPTIONS: UnaryOptions = Object.freeze({});

/** One call in flight: what its stream has delivered so far and how to settle it. */
class Pending {
  headers: http2.IncomingHttpHeaders | undefined;
  trailers: http2.IncomingHttpHeaders | undefined;
  /** The first DATA chunk, then every chunk once a second one arrives. */
  first: Buffer | undefined;
  chunks: Buffer[] | undefined;
  received = 0;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly resolve: (message: Buffer) => void,
    readonly reject: (err: RpcError) => void,
  ) {}

  /** A response field, the trailers' value winning over the headers'. */
  field(name: string): string | string[] | undefined {
    return this.trailers?.[name] ?? this.headers?.[name];
  }

  body(): Buffer {
    if (!this.chunks) return this.first ?? EMPTY;
    return Buffer.concat(this.chunks, this.received);
  }
}

const EMPTY = Buffer.alloc(0);
const PENDING = Symbol('pending');
type CallStream = http2.ClientHttp2Stream & { [PENDING]: Pending };

function onResponse(this: CallStream, headers: http2.IncomingHttpHeaders): void {
  this[PENDING].headers = headers;
}

function onTrailers(this: CallStream, trailers: http2.IncomingHttpHeaders): void {
  this[PENDING].trailers = trailers;
}

function onData(this: CallStream, chunk: Buffer): void {
  const p = this[PENDING];
  p.received += chunk.length;
  if (p.first === undefined) p.first = chunk;
  else if (p.chunks) p.chunks.push(chunk);
  else p.chunks = [p.first, chunk];
}

function onError(this: CallStream, err: Error): void {
  const p = this[PENDING];
  clearTimeout(p.timer);
  p.reject(new RpcError(Status.UNAVAILABLE, err.message));
}

function onClose(this: CallStream): void {
  const p = this[PENDING];
  clearTimeout(p.timer);
  const grpcStatus = p.field('grpc-status');
  if (grpcStatus === undefined) {
    p.reject(new RpcError(Status.UNAVAILABLE, `stream closed without status (rst ${this.rstCode})`));
    return;
  }
  const code = Number(grpcStatus);
  if (code !== Status.OK) {
    p.reject(new RpcError(code, percentDecode(String(p.field('grpc-message') ?? ''))));
    return;
  }
  const body = p.body();
  if (body.length < 5) {
    p.reject(new RpcError(Status.INTERNAL, 'response without a message'));
    return;
  }
  p.resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
}

export class UnaryChannel {
  private readonly session: http2.ClientHttp2Session;
  private closedError: Error | undefined;

  constructor(stream: Duplex) {
    this.session = http2.connect('http://kata-agent', {
      createConnection: () => stream as unknown as import('node:net').Socket,
      maxSessionMemory: 1024,
      settings: { initialWindowSize: STREAM_WINDOW, maxFrameSize: MAX_FRAME },
    });
    this.session.on('error', (err) => (this.closedError = err));
    this.session.on('close', () => (this.closedError ??= new Error('connection closed')));
    this.session.once('connect', (session: http2.ClientHttp2Session) => {
      if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW);
    });
  }

  call(path: string, request: Buffer, options: UnaryOptions = NO_OPTIONS): Promise<Buffer> {
    try {
      return this.start(path, request, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private start(path: string, request: Buffer, options: UnaryOptions): Promise<Buffer> {
    if (this.closedError) return Promise.reject(new RpcError(Status.UNAVAILABLE, this.closedError.message));
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    if (options.metadata) Object.assign(headers, options.metadata);
    const timeoutMs = options.timeoutMs;
    if (timeoutMs) headers['grpc-timeout'] = `${Math.ceil(timeoutMs)}m`;
    const req = this.session.request(headers, { endStream: false }) as CallStream;
    writeMessage(req, request);
    return new Promise<Buffer>((resolve, reject) => {
      const p = new Pending(resolve, reject);
      req[PENDING] = p;
      if (timeoutMs)
        p.timer = setTimeout(() => {
          req.close(http2.constants.NGHTTP2_CANCEL);
          reject(new RpcError(Status.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      req.on('response', onResponse);
      req.on('data', onData);
      req.on('error', onError);
      req.on('trailers', onTrailers);
      req.on('close', onClose);
    });
  }

  close(): void {
    this.session.close();
  }

  destroy(): void {
    this.session.destroy();
  }
}

/** Sends `message` as the request's only gRPC frame and ends the request. */
function writeMessage(req: http2.ClientHttp2Stream, message: Buffer): void {
  if (message.length > COPY_LIMIT) {
    // Corked, both writes go down as one writev: no copy of the message.
    const prefix = Buffer.allocUnsafe(5);
    prefix[0] = 0;
    prefix.writeUInt32BE(message.length, 1);
    req.cork();
    req.write(prefix);
    req.end(message);
    return;
  }
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  req.end(frame);
}

/** grpc-message's percent-encoding undone; a malformed escape is kept as it came. */
function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
