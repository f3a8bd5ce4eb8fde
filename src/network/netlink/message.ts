// Netlink message framing: struct nlmsghdr {u32 len, u16 type, u16 flags,
// u32 seq, u32 pid} then the payload, each message padded to 4 bytes. One
// datagram from the kernel may hold several messages.
import { AttributeTable } from './attributes';
import { align4, MalformedMessageError, readI32, readU16, readU32, writeU16, writeU32 } from './bytes';
import {
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR_MSG,
} from './constants';

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after the header, without trailing padding. */
  payload: Buffer;
}

/** One message: header plus payload, padded to the alignment. */
export function encodeMessage(
  header: { type: number; flags: number; seq: number; pid?: number },
  payload: Buffer,
): Buffer {
  const length = NLMSG_HDRLEN + payload.length;
  const out = Buffer.alloc(align4(length));
  writeU32(out, length, 0);
  writeU16(out, header.type, 4);
  writeU16(out, header.flags, 6);
  writeU32(out, header.seq, 8);
  writeU32(out, header.pid ?? 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/** Splits a received datagram into its messages; payloads are views into `buf`. */
export function decodeMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= buf.length) {
    const length = readU32(buf, offset);
    if (length < NLMSG_HDRLEN || offset + length > buf.length) {
      throw new MalformedMessageError(`message length ${length} at offset ${offset} of ${buf.length}`);
    }
    out.push({
      type: readU16(buf, offset + 4),
      flags: readU16(buf, offset + 6),
      seq: readU32(buf, offset + 8),
      pid: readU32(buf, offset + 12),
      payload: buf.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += align4(length);
  }
  return out;
}

interface ErrorReply {
  /** 0 for an acknowledgement, else the positive errno. */
  errno: number;
  /** Type and seq of the request this answers. */
  requestType: number;
  requestSeq: number;
  /** The kernel's extended-ack text (NLMSGERR_ATTR_MSG), if any. */
  detail: string | undefined;
}

/**
 * Reads struct nlmsgerr {int error; struct nlmsghdr msg; ...}: the request's
 * header, followed by its payload unless NLM_F_CAPPED, then extended-ack
 * attributes when NLM_F_ACK_TLVS.
 */
export function decodeErrorReply(message: NetlinkMessage): ErrorReply {
  if (message.type !== NLMSG_ERROR) throw new Error(`message type ${message.type} is not NLMSG_ERROR`);
  const p = message.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new MalformedMessageError(`NLMSG_ERROR of ${p.length} bytes`);
  const error = readI32(p, 0);
  const requestLength = readU32(p, 4);
  let detail: string | undefined;
  if (message.flags & NLM_F_ACK_TLVS) {
    const echoed = message.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(requestLength);
    const tlvStart = 4 + echoed;
    if (tlvStart <= p.length) detail = new AttributeTable(p.subarray(tlvStart)).string(NLMSGERR_ATTR_MSG);
  }
  return {
    errno: error === 0 ? 0 : -error,
    requestType: readU16(p, 8),
    requestSeq: readU32(p, 12),
    detail: detail || undefined,
  };
}

/** NLMSG_DONE may carry an int: a negative errno when the dump itself failed. */
export function decodeDoneError(message: NetlinkMessage): number {
  if (message.type !== NLMSG_DONE) throw new Error(`message type ${message.type} is not NLMSG_DONE`);
  const error = message.payload.length >= 4 ? readI32(message.payload, 0) : 0;
  return error < 0 ? -error : 0;
}
