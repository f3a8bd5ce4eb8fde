// Neighbours (ARP / NDP entries): struct ndmsg {u8 family, u8 pad1, u16 pad2,
// i32 ifindex, u16 state, u8 flags, u8 type} followed by NDA_* attributes.
import { AttributeTable, encodeAttribute } from './attributes';
import { MalformedMessageError, readI32, readU16, writeI32, writeU16 } from './bytes';
import { NDA_DST, NDA_LLADDR, NDMSG_LEN } from './constants';

export interface NeighbourMessage {
  family: number;
  index: number;
  /** NUD_* state bits. */
  state: number;
  /** NTF_* flags. */
  flags: number;
  type: number;
  dst: Buffer | undefined;
  lladdr: Buffer | undefined;
}

function ndmsg(family: number, index: number, state: number, flags: number): Buffer {
  const b = Buffer.alloc(NDMSG_LEN);
  b[0] = family;
  writeI32(b, index, 4);
  writeU16(b, state, 8);
  b[10] = flags;
  b[11] = 0;
  return b;
}

/** Body of an RTM_GETNEIGH dump of one family (AF_UNSPEC for all). */
export function encodeNeighbourDump(family: number): Buffer {
  return ndmsg(family, 0, 0, 0);
}

export interface NeighbourSpec {
  family: number;
  index: number;
  state: number;
  flags: number;
  dst: Buffer;
  lladdr?: Buffer;
}

/** Body of RTM_NEWNEIGH / RTM_DELNEIGH. */
export function encodeNeighbour(spec: NeighbourSpec): Buffer {
  const parts = [ndmsg(spec.family, spec.index, spec.state, spec.flags), encodeAttribute(NDA_DST, spec.dst)];
  if (spec.lladdr) parts.push(encodeAttribute(NDA_LLADDR, spec.lladdr));
  return Buffer.concat(parts);
}

export function decodeNeighbour(payload: Buffer): NeighbourMessage {
  if (payload.length < NDMSG_LEN) throw new MalformedMessageError(`ndmsg of ${payload.length} bytes`);
  const attrs = new AttributeTable(payload.subarray(NDMSG_LEN));
  const dst = attrs.bytes(NDA_DST);
  const lladdr = attrs.bytes(NDA_LLADDR);
  return {
    family: payload[0],
    index: readI32(payload, 4),
    state: readU16(payload, 8),
    flags: payload[10],
    type: payload[11],
    dst: dst ? Buffer.from(dst) : undefined,
    lladdr: lladdr ? Buffer.from(lladdr) : undefined,
  };
}
