// Routes: struct rtmsg {u8 family, u8 dst_len, u8 src_len, u8 tos, u8 table,
// u8 protocol, u8 scope, u8 type, u32 flags} followed by RTA_* attributes.
// Table ids above 255 live only in RTA_TABLE, so it wins over the header byte.
import { AttributeTable, decodeAttributes, encodeAttribute, encodeU32 } from './attributes';
import { align4, MalformedMessageError, readI32, readU16, readU32, writeU32 } from './bytes';
import {
  RT_TABLE_MAIN,
  RTA_DST,
  RTA_GATEWAY,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTMSG_LEN,
  RTN_UNICAST,
  RTNH_LEN,
} from './constants';

interface NextHop {
  oif: number | undefined;
  gateway: Buffer | undefined;
}

export interface RouteMessage {
  family: number;
  dstLength: number;
  srcLength: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  /** RTM_F_* flags. */
  flags: number;
  dst: Buffer | undefined;
  gateway: Buffer | undefined;
  /** Preferred source address (RTA_PREFSRC). */
  prefsrc: Buffer | undefined;
  oif: number | undefined;
  priority: number | undefined;
  /** Next hops of a multipath route (RTA_MULTIPATH); empty otherwise. */
  nexthops: NextHop[];
}

function rtmsg(fields: {
  family: number;
  dstLength?: number;
  tos?: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
}): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b[0] = fields.family;
  b[1] = fields.dstLength ?? 0;
  b[2] = 0;
  b[3] = fields.tos ?? 0;
  const table = fields.table ?? 0;
  b[4] = table < 256 ? table : 0;
  b[5] = fields.protocol ?? 0;
  b[6] = fields.scope ?? 0;
  b[7] = fields.type ?? 0;
  writeU32(b, 0, 8);
  return b;
}

/** Body of an RTM_GETROUTE dump of one family (AF_UNSPEC for all). */
export function encodeRouteDump(family: number): Buffer {
  return rtmsg({ family });
}

export interface RouteSpec {
  family: number;
  dst: Buffer | undefined;
  dstLength: number;
  tos?: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
  gateway?: Buffer;
  prefsrc?: Buffer;
  oif?: number;
  priority?: number;
}

/** Body of RTM_NEWROUTE / RTM_DELROUTE. */
export function encodeRoute(spec: RouteSpec): Buffer {
  const table = spec.table ?? RT_TABLE_MAIN;
  const parts = [
    rtmsg({
      family: spec.family,
      dstLength: spec.dstLength,
      tos: spec.tos,
      table,
      protocol: spec.protocol,
      scope: spec.scope,
      type: spec.type ?? RTN_UNICAST,
    }),
    encodeU32(RTA_TABLE, table),
  ];
  if (spec.dst && spec.dstLength > 0) parts.push(encodeAttribute(RTA_DST, spec.dst));
  if (spec.gateway) parts.push(encodeAttribute(RTA_GATEWAY, spec.gateway));
  if (spec.prefsrc) parts.push(encodeAttribute(RTA_PREFSRC, spec.prefsrc));
  if (spec.oif !== undefined) parts.push(encodeU32(RTA_OIF, spec.oif));
  if (spec.priority !== undefined) parts.push(encodeU32(RTA_PRIORITY, spec.priority));
  return Buffer.concat(parts);
}

/** struct rtnexthop {u16 len, u8 flags, u8 hops, i32 ifindex} followed by RTA_* attributes. */
function decodeNextHops(buf: Buffer): NextHop[] {
  const out: NextHop[] = [];
  let offset = 0;
  while (offset + RTNH_LEN <= buf.length) {
    const length = readU16(buf, offset);
    if (length < RTNH_LEN || offset + length > buf.length) {
      throw new MalformedMessageError(`rtnexthop length ${length} at offset ${offset}`);
    }
    const attrs = new AttributeTable(buf.subarray(offset + RTNH_LEN, offset + length));
    const gateway = attrs.bytes(RTA_GATEWAY);
    out.push({ oif: readI32(buf, offset + 4), gateway: gateway ? Buffer.from(gateway) : undefined });
    offset += align4(length);
  }
  return out;
}

export function decodeRoute(payload: Buffer): RouteMessage {
  if (payload.length < RTMSG_LEN) throw new MalformedMessageError(`rtmsg of ${payload.length} bytes`);
  const body = payload.subarray(RTMSG_LEN);
  const attrs = new AttributeTable(body);
  const copy = (type: number): Buffer | undefined => {
    const b = attrs.bytes(type);
    return b ? Buffer.from(b) : undefined;
  };
  const multipath = decodeAttributes(body).find((a) => a.type === RTA_MULTIPATH);
  return {
    family: payload[0],
    dstLength: payload[1],
    srcLength: payload[2],
    tos: payload[3],
    table: attrs.u32(RTA_TABLE) ?? payload[4],
    protocol: payload[5],
    scope: payload[6],
    type: payload[7],
    flags: readU32(payload, 8),
    dst: copy(RTA_DST),
    gateway: copy(RTA_GATEWAY),
    prefsrc: copy(RTA_PREFSRC),
    oif: attrs.u32(RTA_OIF),
    priority: attrs.u32(RTA_PRIORITY),
    nexthops: multipath ? decodeNextHops(multipath.data) : [],
  };
}
