// One request stream as the application sees it: the request's headers, its
// body as it arrives, and one way to answer (headers, an optional body,
// optional trailers). The connection (./connection.ts) keeps the protocol
// state; the fields below marked internal are its bookkeeping.
import type { HeaderField } from './hpack';

/** Request headers, lower case, pseudo-headers included; a repeated name gives an array. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What a stream asks of the connection that carries it. */
export interface StreamOwner {
  answer(
    stream: H2Stream,
    headers: readonly HeaderField[],
    body?: readonly Buffer[],
    trailers?: readonly HeaderField[],
  ): void;
  reset(stream: H2Stream, code: number): void;
}

export class H2Stream {
  /** Body bytes as they arrive (padding removed). */
  onData: ((chunk: Buffer) => void) | undefined;
  /** The client has sent its whole request. */
  onEnd: (() => void) | undefined;
  /** The stream is gone: answered and done, reset by the client, or its connection lost. */
  onClose: (() => void) | undefined;

  // Internal: protocol state kept by the connection.
  remoteEnded = false;
  localEnded = false;
  closed = false;
  answered = false;
  /** Bytes the client may still send before a WINDOW_UPDATE. */
  recvWindow: number;
  recvUnacked = 0;
  /** Body bytes received and not yet handed over as a whole request. */
  held = 0;
  /** Bytes we may still send on this stream. */
  sendWindow: number;
  /** The answer's body still to send, and its encoded trailers. */
  pending: Buffer[] = [];
  trailers: Buffer | undefined;

  constructor(
    readonly id: number,
    readonly headers: RequestHeaders,
    private readonly owner: StreamOwner,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /**
   * Answers the request: headers alone end the stream ("trailers-only" in
   * gRPC); with a body, the body follows under flow control, then trailers.
   * Only the first answer counts.
   */
  respond(
    headers: readonly HeaderField[],
    body?: readonly Buffer[],
    trailers?: readonly HeaderField[],
  ): void {
    this.owner.answer(this, headers, body, trailers);
  }

  /** Ends the stream with RST_STREAM, after whatever was already answered. */
  reset(code: number): void {
    this.owner.reset(this, code);
  }
}
