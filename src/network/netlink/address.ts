// Addresses: struct ifaddrmsg {u8 family, u8 prefixlen, u8 flags, u8 scope,
// u32 index} followed by IFA_* attributes. IFA_LOCAL is the interface's own
// address; IFA_ADDRESS is the same, or the peer on a point-to-point link.
import { AttributeTable, encodeAttribute, encodeU32 } from './attributes';
import { MalformedMessageError, readU32, writeU32 } from './bytes';
import { IFA_ADDRESS, IFA_BROADCAST, IFA_FLAGS, IFA_LABEL, IFA_LOCAL, IFADDRMSG_LEN } from './constants';

export interface AddressMessage {
  family: number;
  prefixLength: number;
  /** IFA_F_* flags (the 32-bit IFA_FLAGS attribute when present). */
  flags: number;
  scope: number;
  index: number;
  /** The interface's own address. */
  local: Buffer;
  /** The peer of a point-to-point address, when it differs from `local`. */
  peer: Buffer | undefined;
  broadcast: Buffer | undefined;
  label: string | undefined;
}

function ifaddrmsg(
  family: number,
  prefixLength: number,
  flags: number,
  scope: number,
  index: number,
): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b[0] = family;
  b[1] = prefixLength;
  b[2] = flags & 0xff;
  b[3] = scope;
  writeU32(b, index, 4);
  return b;
}

/** Body of an RTM_GETADDR dump of one family (AF_UNSPEC for all). */
export function encodeAddressDump(family: number): Buffer {
  return ifaddrmsg(family, 0, 0, 0, 0);
}

export interface AddressSpec {
  family: number;
  prefixLength: number;
  index: number;
  local: Buffer;
  /** IFA_F_* flags; bits above 8 go into the IFA_FLAGS attribute. */
  flags?: number;
  scope?: number;
  broadcast?: Buffer;
}

/** Body of RTM_NEWADDR / RTM_DELADDR. */
export function encodeAddress(spec: AddressSpec): Buffer {
  const flags = spec.flags ?? 0;
  const parts = [
    ifaddrmsg(spec.family, spec.prefixLength, flags, spec.scope ?? 0, spec.index),
    encodeAttribute(IFA_LOCAL, spec.local),
    encodeAttribute(IFA_ADDRESS, spec.local),
  ];
  if (spec.broadcast) parts.push(encodeAttribute(IFA_BROADCAST, spec.broadcast));
  if (flags > 0xff) parts.push(encodeU32(IFA_FLAGS, flags));
  return Buffer.concat(parts);
}

export function decodeAddress(payload: Buffer): AddressMessage {
  if (payload.length < IFADDRMSG_LEN) throw new MalformedMessageError(`ifaddrmsg of ${payload.length} bytes`);
  const attrs = new AttributeTable(payload.subarray(IFADDRMSG_LEN));
  const address = attrs.bytes(IFA_ADDRESS);
  const local = attrs.bytes(IFA_LOCAL) ?? address;
  if (!local) throw new MalformedMessageError('address message without IFA_LOCAL or IFA_ADDRESS');
  const broadcast = attrs.bytes(IFA_BROADCAST);
  return {
    family: payload[0],
    prefixLength: payload[1],
    flags: attrs.u32(IFA_FLAGS) ?? payload[2],
    scope: payload[3],
    index: readU32(payload, 4),
    local: Buffer.from(local),
    peer: address && !address.equals(local) ? Buffer.from(address) : undefined,
    broadcast: broadcast ? Buffer.from(broadcast) : undefined,
    label: attrs.string(IFA_LABEL),
  };
}
