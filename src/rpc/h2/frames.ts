// HTTP/2 framing (RFC 9113 §4): the 9-byte frame header, the frame types and
// flags the agent handles, error codes, and a reader that cuts a byte stream
// into frames without copying more than a frame's own bytes.

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

const FRAME_HEADER_BYTES = 9;
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
export const MAX_WINDOW = 2 ** 31 - 1;
export const DEFAULT_WINDOW = 65535;
export const DEFAULT_MAX_FRAME = 16384;

/** A protocol violation: a connection error, or a stream error when `streamId` is set. */
export class H2Error extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly streamId = 0,
  ) {
    super(message);
  }
}

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  /** A view into the bytes read: valid as long as the caller keeps it. */
  payload: Buffer;
}

/** Cuts bytes into frames; refuses a frame larger than `maxPayload` before buffering it. */
export class FrameReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Bytes needed in `parts` before another frame can be cut. */
  private need = FRAME_HEADER_BYTES;

  constructor(private readonly maxPayload: number) {}

  read(chunk: Buffer, onFrame: (frame: Frame) => boolean): void {
    let buf = chunk;
    if (this.partBytes > 0) {
      this.parts.push(chunk);
      this.partBytes += chunk.length;
      if (this.partBytes < this.need) return;
      buf = Buffer.concat(this.parts, this.partBytes);
      this.parts = [];
      this.partBytes = 0;
    }
    let at = 0;
    for (;;) {
      const left = buf.length - at;
      if (left < FRAME_HEADER_BYTES) {
        this.need = FRAME_HEADER_BYTES;
        break;
      }
      const length = buf.readUIntBE(at, 3);
      if (length > this.maxPayload) {
        throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes exceeds ${this.maxPayload}`);
      }
      if (left < FRAME_HEADER_BYTES + length) {
        this.need = FRAME_HEADER_BYTES + length;
        break;
      }
      const end = at + FRAME_HEADER_BYTES + length;
      const frame: Frame = {
        type: buf[at + 3],
        flags: buf[at + 4],
        streamId: buf.readUInt32BE(at + 5) & 0x7fffffff,
        payload: buf.subarray(at + FRAME_HEADER_BYTES, end),
      };
      at = end;
      // The connection stops reading after a connection error.
      if (!onFrame(frame)) return;
    }
    if (at < buf.length) {
      this.parts.push(buf.subarray(at));
      this.partBytes = buf.length - at;
    }
  }
}

export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  head.writeUIntBE(length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return head;
}

/** A frame with a small payload, as one buffer. */
export function smallFrame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUIntBE(payload.length, 0, 3);
  frame[3] = type;
  frame[4] = flags;
  frame.writeUInt32BE(streamId, 5);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export function u32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** The payload of a frame with the PADDED flag, padding removed; throws when the padding does not fit. */
export function unpad(frame: Frame, reserved = 0): Buffer {
  const { payload } = frame;
  if (!(frame.flags & Flag.PADDED)) return payload;
  if (payload.length < 1) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'padded frame without a pad length');
  const pad = payload[0];
  if (pad + 1 + reserved > payload.length) {
    throw new H2Error(ErrorCode.PROTOCOL_ERROR, `padding of ${pad} bytes is longer than the frame`);
  }
  return payload.subarray(1, payload.length - pad);
}

/** GOAWAY naming the last stream we started and why (at most 256 bytes of it). */
export function goAwayFrame(lastStreamId: number, code: number, debug: string): Buffer {
  const payload = Buffer.alloc(8 + Math.min(Buffer.byteLength(debug), 256));
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  payload.write(debug, 8, 'utf8');
  return smallFrame(FrameType.GOAWAY, 0, 0, payload);
}
