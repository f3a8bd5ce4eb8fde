// yamux wire format (protocol version 0, as spoken by hashicorp/yamux): every
// frame starts with a 12-byte big-endian header
//   version u8 | type u8 | flags u16 | stream id u32 | length u32
// Only data frames carry a payload (`length` bytes). For a window update the
// length is the window increment, for a ping the opaque ping value, for a go
// away the reason code.

const PROTOCOL_VERSION = 0;
export const HEADER_SIZE = 12;
/** Every stream starts with this receive window, on both sides. */
export const INITIAL_WINDOW = 256 * 1024;

export enum FrameType {
  Data = 0,
  WindowUpdate = 1,
  Ping = 2,
  GoAway = 3,
}

export const Flag = {
  SYN: 1,
  ACK: 2,
  FIN: 4,
  RST: 8,
} as const;

export enum GoAwayCode {
  Normal = 0,
  ProtocolError = 1,
  InternalError = 2,
}

export interface FrameHeader {
  type: FrameType;
  flags: number;
  streamId: number;
  length: number;
}

/** The peer broke the protocol: the session cannot continue. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function encodeHeader(type: FrameType, flags: number, streamId: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER_SIZE);
  b[0] = PROTOCOL_VERSION;
  b[1] = type;
  b.writeUInt16BE(flags, 2);
  b.writeUInt32BE(streamId, 4);
  b.writeUInt32BE(length, 8);
  return b;
}

export function decodeHeader(b: Buffer): FrameHeader {
  if (b[0] !== PROTOCOL_VERSION) throw new ProtocolError(`invalid protocol version ${b[0]}`);
  const type = b[1];
  if (type > FrameType.GoAway) throw new ProtocolError(`invalid frame type ${type}`);
  return { type, flags: b.readUInt16BE(2), streamId: b.readUInt32BE(4), length: b.readUInt32BE(8) };
}

/** Whether `b` (at least 2 bytes) can be the start of a yamux session. */
export function looksLikeYamux(b: Buffer): boolean {
  return b.length >= 2 && b[0] === PROTOCOL_VERSION && b[1] <= FrameType.GoAway;
}

export function describeFrame(h: FrameHeader): string {
  return `${FrameType[h.type]} flags=${h.flags} stream=${h.streamId} length=${h.length}`;
}

/** Receives decoded frames. Any method may throw a ProtocolError to stop decoding. */
export interface FrameSink {
  /** A header was read; for data frames `payload` follows with exactly `length` bytes in pieces. */
  header(h: FrameHeader): void;
  payload(h: FrameHeader, piece: Buffer): void;
  /** The frame (with its payload) is complete. */
  end(h: FrameHeader): void;
}

/**
 * Incremental decoder: feed it the byte stream in arbitrary pieces. Data payloads
 * are passed on as slices of the input as they arrive, so a frame is never
 * buffered whole and nothing is copied except headers split across pieces.
 */
export class FrameDecoder {
  private headerBytes = Buffer.allocUnsafe(HEADER_SIZE);
  private headerFill = 0;
  private current: FrameHeader | undefined;
  private remaining = 0;
  private failed: Error | undefined;

  /** `maxPayload`: largest data frame accepted (a peer may never exceed one window). */
  constructor(
    private readonly sink: FrameSink,
    private readonly maxPayload: number,
  ) {}

  write(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    try {
      this.consume(chunk);
    } catch (err) {
      this.failed = err as Error;
      throw err;
    }
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.current) {
        const take = Math.min(HEADER_SIZE - this.headerFill, chunk.length - offset);
        if (this.headerFill === 0 && take === HEADER_SIZE) {
          this.begin(decodeHeader(chunk.subarray(offset, offset + HEADER_SIZE)));
        } else {
          chunk.copy(this.headerBytes, this.headerFill, offset, offset + take);
          this.headerFill += take;
          if (this.headerFill === HEADER_SIZE) {
            this.headerFill = 0;
            this.begin(decodeHeader(this.headerBytes));
          }
        }
        offset += take;
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      const h = this.current;
      this.remaining -= take;
      if (this.remaining === 0) this.current = undefined;
      this.sink.payload(h, chunk.subarray(offset, offset + take));
      offset += take;
      if (this.remaining === 0) this.sink.end(h);
    }
  }

  private begin(h: FrameHeader): void {
    const payload = h.type === FrameType.Data ? h.length : 0;
    if (payload > this.maxPayload)
      throw new ProtocolError(`data frame of ${payload} bytes exceeds the ${this.maxPayload}-byte window`);
    this.sink.header(h);
    if (payload === 0) {
      this.sink.end(h);
      return;
    }
    this.current = h;
    this.remaining = payload;
  }
}
