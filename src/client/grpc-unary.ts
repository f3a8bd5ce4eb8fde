// A small unary gRPC client on Node's http2, over any connected byte stream:
// a unix socket, a vsock socket, a hybrid-vsock socket after its handshake, or
// a yamux stream. grpc-js clients only dial addresses, and the agent's
// channels are not all addresses.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { Code as Status } from '../rpc/status';

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

export class UnaryChannel {
  private readonly session: http2.ClientHttp2Session;
  private closedError: Error | undefined;

  constructor(stream: Duplex) {
    this.session = http2.connect('http://kata-agent', {
      createConnection: () => stream as unknown as import('node:net').Socket,
      maxSessionMemory: 1024,
    });
    this.session.on('error', (err) => (this.closedError = err));
    this.session.on('close', () => (this.closedError ??= new Error('connection closed')));
  }

  async call(path: string, request: Buffer, options: UnaryOptions = {}): Promise<Buffer> {
    if (this.closedError) throw new RpcError(Status.UNAVAILABLE, this.closedError.message);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...options.metadata,
    };
    if (options.timeoutMs) headers['grpc-timeout'] = `${Math.ceil(options.timeoutMs)}m`;
    const req = this.session.request(headers, { endStream: false });
    const frame = Buffer.allocUnsafe(5 + request.length);
    frame[0] = 0;
    frame.writeUInt32BE(request.length, 1);
    request.copy(frame, 5);
    req.end(frame);
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let responseHeaders: http2.IncomingHttpHeaders = {};
      const timer = options.timeoutMs
        ? setTimeout(() => {
            req.close(http2.constants.NGHTTP2_CANCEL);
            reject(new RpcError(Status.DEADLINE_EXCEEDED, `no answer within ${options.timeoutMs} ms`));
          }, options.timeoutMs)
        : undefined;
      req.on('response', (h) => (responseHeaders = h));
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new RpcError(Status.UNAVAILABLE, err.message));
      });
      req.on('trailers', (trailers) => (responseHeaders = { ...responseHeaders, ...trailers }));
      req.on('close', () => {
        clearTimeout(timer);
        const code = Number(responseHeaders['grpc-status'] ?? Status.UNKNOWN);
        if (responseHeaders['grpc-status'] === undefined) {
          reject(new RpcError(Status.UNAVAILABLE, `stream closed without status (rst ${req.rstCode})`));
          return;
        }
        if (code !== Status.OK) {
          const message = decodeURIComponent(String(responseHeaders['grpc-message'] ?? ''));
          reject(new RpcError(code, message));
          return;
        }
        const body = Buffer.concat(chunks);
        if (body.length < 5) {
          reject(new RpcError(Status.INTERNAL, 'response without a message'));
          return;
        }
        resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
      });
    });
  }

  close(): void {
    this.session.close();
  }

  destroy(): void {
    this.session.destroy();
  }
}
