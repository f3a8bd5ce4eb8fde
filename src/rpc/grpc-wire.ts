// gRPC's unary calls over the agent's own HTTP/2 server (./h2). The agent
// needs only unary calls on connections it accepts itself (unix, vsock, yamux
// streams). The protocol: POST /package.Service/Method, content-type
// application/grpc, one message framed as [compressed flag:1][length:4 BE]
// [bytes]; the answer is headers, one framed message and trailers carrying
// grpc-status and grpc-message, or, on error, a single header block with the
// status ("Trailers-Only").
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { errorText } from '../common/error-text';
import type { Logger } from '../logging/logger';
import { AgentError } from '../common/errors';
import { H2Connection } from './h2/connection';
import type { H2Limits } from './h2/limits';
import { ErrorCode } from './h2/frames';
import type { HeaderField } from './h2/hpack';
import type { H2Stream } from './h2/stream';
import { Code } from '../common/status';
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
  /** HTTP/2 limits other than the defaults (tests use small ones). */
  limits?: Partial<H2Limits>;
  /** Where connection errors and faults outside the handlers are reported; silent without one. */
  log?: Logger;
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
let decompressing: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const turn = decompressing.then(work, work);
  decompressing = turn.catch(() => undefined);
  return turn;
}
const FRAME_HEADER = 5;
// Go clients say how long they wait as "<digits><unit>".
const TIMEOUT_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
// grpc-message rides in a header: keep runtime error texts from blowing header limits.
const MAX_STATUS_MESSAGE = 16 * 1024;
const OK_HEADERS: readonly HeaderField[] = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
const OK_TRAILERS: readonly HeaderField[] = [['grpc-status', '0']];

export class WireServer {
  private readonly connections = new Set<H2Connection>();
  private closing = false;

  constructor(private readonly options: WireServerOptions) {}

  /** Serves HTTP/2 on an already-connected byte stream. */
  inject(connection: Duplex): void {
    if (this.closing) {
      connection.destroy();
      return;
    }
    const h2 = new H2Connection(connection, {
      onStream: (stream) => this.onStream(stream),
      limits: this.options.limits,
      log: this.options.log,
    });
    this.connections.add(h2);
    void h2.whenClosed().then(() => this.connections.delete(h2));
  }

  /** Sends GOAWAY on every connection, lets their calls finish for `graceMs`, then cuts them. */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const connections = [...this.connections];
    for (const c of connections) c.goAway();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(connections.map((c) => c.whenClosed())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    for (const c of connections) c.destroy();
  }

  private onStream(stream: H2Stream): void {
    const { headers } = stream;
    if (headers[':method'] !== 'POST') {
      stream.respond([[':status', '405']]);
      return;
    }
    const contentType = String(headers['content-type'] ?? '');
    if (!contentType.startsWith('application/grpc')) {
      stream.respond([[':status', '415']]);
      return;
    }
    const path = String(headers[':path']);
    const handler = this.options.route(path);
    if (!handler) {
      // What the client still sends is dropped; the answer does not depend on it.
      sendStatus(stream, Code.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    new UnaryCall(stream, handler, this.options.maxMessageBytes, this.options.log).run();
  }
}

/** One unary call from its first byte to its trailers. */
class UnaryCall implements WireCall {
  readonly metadata: CallMetadata;
  private readonly listeners = new Set<() => void>();
  private done = false;
  private isCancelled = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: H2Stream,
    private readonly handler: UnaryHandler,
    private readonly maxMessageBytes: number,
    private readonly log: Logger | undefined,
  ) {
    this.metadata = stream.headers;
  }

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
    this.stream.onClose = () => {
      if (!this.done) this.cancel();
      this.done = true;
      clearTimeout(this.deadline);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    this.stream.onData = (chunk) => {
      size += chunk.length;
      chunks.push(chunk);
      // The declared length is known from the first five bytes: refuse at once rather than buffer.
      const declared = size >= FRAME_HEADER ? declaredLength(chunks) : 0;
      if (size > this.maxMessageBytes + FRAME_HEADER || declared > this.maxMessageBytes) {
        chunks.length = 0;
        this.refuseBody();
      }
    };
    this.stream.onEnd = () => {
      if (this.done) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      chunks.length = 0;
      this.unframe(body)
        .then((message) => (this.done ? undefined : this.handler(message, this)))
        .then(
          (response) => response && this.respond(response),
          (err: unknown) => {
            if (err instanceof AgentError) return this.finish(err.code, err.message);
            // Handlers answer with AgentErrors (src/rpc/service.ts): anything else is a fault here.
            this.log?.warn(
              { path: this.metadata[':path'], error: errorText(err) },
              'call failed outside its handler',
            );
            this.finish(Code.UNKNOWN, errorText(err));
          },
        );
    };
  }

  /**
   * Answers RESOURCE_EXHAUSTED and resets the stream (NO_ERROR) right behind
   * the status, so a client streaming without end costs nothing further: what
   * it still sends on the stream is counted and dropped.
   */
  private refuseBody(): void {
    this.stream.onData = undefined;
    this.finish(Code.RESOURCE_EXHAUSTED, `request larger than ${this.maxMessageBytes} bytes`);
    this.stream.reset(ErrorCode.NO_ERROR);
  }

  /**
   * The one request message of a unary call, decompressed if the client
   * compressed it: on libuv's threads, so a gzip bomb does not hold up other
   * calls, and one at a time, so twenty bombs cost one capped buffer, not twenty.
   */
  private async unframe(body: Buffer): Promise<Buffer> {
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
      if (encoding === 'gzip') return await oneAtATime(() => gunzip(message, limit));
      if (encoding === 'deflate') return await oneAtATime(() => inflate(message, limit));
    } catch (err) {
      throw new AgentError(Code.INTERNAL, `cannot decompress the request: ${(err as Error).message}`);
    }
    throw new AgentError(Code.UNIMPLEMENTED, `request compressed with unsupported encoding ${encoding}`);
  }

  private respond(response: Buffer | Buffer[]): void {
    if (this.done || this.stream.closed) return;
    this.done = true;
    clearTimeout(this.deadline);
    const parts = Array.isArray(response) ? response : [response];
    const length = parts.reduce((n, p) => n + p.length, 0);
    const prefix = Buffer.allocUnsafe(FRAME_HEADER);
    prefix[0] = 0;
    prefix.writeUInt32BE(length, 1);
    // Large payloads (ReadStdout) are framed as they are, never copied here.
    this.stream.respond(OK_HEADERS, [prefix, ...parts], OK_TRAILERS);
  }

  private finish(code: Code, message: string): void {
    if (this.done || this.stream.closed) return;
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

/** A "trailers-only" answer: the status in the one header block, which ends the stream. */
function sendStatus(stream: H2Stream, code: Code, message: string): void {
  stream.respond([
    ...OK_HEADERS,
    ['grpc-status', String(code)],
    ['grpc-message', percentEncode(message.slice(0, MAX_STATUS_MESSAGE))],
  ]);
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
