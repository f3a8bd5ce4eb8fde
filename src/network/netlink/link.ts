// Links: struct ifinfomsg {u8 family, u8 pad, u16 type, i32 index, u32 flags,
// u32 change} followed by IFLA_* attributes.
import { AttributeTable, encodeString, encodeU32 } from './attributes';
import { MalformedMessageError, readI32, readU16, readU32, writeI32, writeU16, writeU32 } from './bytes';
import {
  AF_UNSPEC,
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  RTEXT_FILTER_SKIP_STATS,
} from './constants';

export interface LinkMessage {
  index: number;
  /** ARPHRD_* hardware type. */
  hardwareType: number;
  /** IFF_* flags. */
  flags: number;
  name: string;
  mtu: number;
  /** Link-layer address (6 bytes for Ethernet); undefined when the link has none. */
  address: Buffer | undefined;
  /** IFLA_INFO_KIND ("veth", "bridge", ...); undefined for links without a kind, like lo or a NIC. */
  kind: string | undefined;
  /** Index of the bridge or bond this link is enslaved to. */
  master: number | undefined;
}

function ifinfomsg(index: number, flags: number, change: number): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b[0] = AF_UNSPEC;
  writeU16(b, 0, 2);
  writeI32(b, index, 4);
  writeU32(b, flags, 8);
  writeU32(b, change, 12);
  return b;
}

/** Body of an RTM_GETLINK dump; statistics are skipped to keep messages small. */
export function encodeLinkDump(): Buffer {
  return Buffer.concat([ifinfomsg(0, 0, 0), encodeU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)]);
}

export interface LinkChange {
  index: number;
  /** IFF_* bits to set: only those in `flagMask` are changed. */
  flags?: number;
  flagMask?: number;
  name?: string;
  mtu?: number;
}

/** Body of an RTM_NEWLINK (without NLM_F_CREATE) that changes an existing link. */
export function encodeLinkChange(change: LinkChange): Buffer {
  const parts = [ifinfomsg(change.index, change.flags ?? 0, change.flagMask ?? 0)];
  if (change.name !== undefined) parts.push(encodeString(IFLA_IFNAME, change.name));
  if (change.mtu !== undefined) parts.push(encodeU32(IFLA_MTU, change.mtu));
  return Buffer.concat(parts);
}

export function decodeLink(payload: Buffer): LinkMessage {
  if (payload.length < IFINFOMSG_LEN) throw new MalformedMessageError(`ifinfomsg of ${payload.length} bytes`);
  const attrs = new AttributeTable(payload.subarray(IFINFOMSG_LEN));
  const address = attrs.bytes(IFLA_ADDRESS);
  return {
    hardwareType: readU16(payload, 2),
    index: readI32(payload, 4),
    flags: readU32(payload, 8),
    name: attrs.string(IFLA_IFNAME) ?? '',
    mtu: attrs.u32(IFLA_MTU) ?? 0,
    address: address && address.length > 0 ? Buffer.from(address) : undefined,
    kind: attrs.nested(IFLA_LINKINFO)?.string(IFLA_INFO_KIND),
    master: attrs.u32(IFLA_MASTER),
  };
}
