// Netlink attributes (struct nlattr): a 4-byte header {u16 length, u16 type}
// followed by the payload, padded to 4 bytes. The length covers header and
// payload but not the padding. Nested attributes carry a list of attributes
// as their payload.
import { align4, MalformedMessageError, readU16, readU32, u32Bytes, writeU16 } from './bytes';

const NLA_HDRLEN = 4;
const NLA_F_NESTED = 0x8000;
const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** One encoded attribute, padding included, ready to concatenate. */
export function encodeAttribute(type: number, payload: Buffer): Buffer {
  const length = NLA_HDRLEN + payload.length;
  const out = Buffer.alloc(align4(length));
  writeU16(out, length, 0);
  writeU16(out, type, 2);
  payload.copy(out, NLA_HDRLEN);
  return out;
}

export function encodeU32(type: number, value: number): Buffer {
  return encodeAttribute(type, u32Bytes(value));
}

/** A NUL-terminated string, as the kernel expects for names. */
export function encodeString(type: number, value: string): Buffer {
  return encodeAttribute(type, Buffer.concat([Buffer.from(value, 'utf8'), Buffer.alloc(1)]));
}

/** An attribute whose payload is other attributes; `flagNested` sets NLA_F_NESTED. */
export function encodeNested(type: number, children: Buffer[], flagNested = true): Buffer {
  return encodeAttribute(flagNested ? type | NLA_F_NESTED : type, Buffer.concat(children));
}

interface Attribute {
  /** Type without the NESTED / NET_BYTEORDER flag bits. */
  type: number;
  nested: boolean;
  data: Buffer;
}

/** Splits `buf` (a run of attributes) into its attributes; the data are views, not copies. */
export function decodeAttributes(buf: Buffer): Attribute[] {
  const out: Attribute[] = [];
  let offset = 0;
  while (offset + NLA_HDRLEN <= buf.length) {
    const length = readU16(buf, offset);
    const rawType = readU16(buf, offset + 2);
    if (length < NLA_HDRLEN || offset + length > buf.length) {
      throw new MalformedMessageError(`attribute type ${rawType} has length ${length} at offset ${offset}`);
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      data: buf.subarray(offset + NLA_HDRLEN, offset + length),
    });
    offset += align4(length);
  }
  return out;
}

/** Attributes by type (first occurrence wins, as the kernel's own parsers do for singletons). */
export class AttributeTable {
  private readonly byType = new Map<number, Buffer>();

  constructor(buf: Buffer) {
    for (const a of decodeAttributes(buf)) if (!this.byType.has(a.type)) this.byType.set(a.type, a.data);
  }

  has(type: number): boolean {
    return this.byType.has(type);
  }

  bytes(type: number): Buffer | undefined {
    return this.byType.get(type);
  }

  u8(type: number): number | undefined {
    const b = this.byType.get(type);
    if (b === undefined) return undefined;
    if (b.length < 1) throw new MalformedMessageError(`attribute ${type} is empty`);
    return b[0];
  }

  u32(type: number): number | undefined {
    const b = this.byType.get(type);
    if (b === undefined) return undefined;
    if (b.length < 4) throw new MalformedMessageError(`attribute ${type} is shorter than a u32`);
    return readU32(b, 0);
  }

  /** A string attribute, cut at its first NUL. */
  string(type: number): string | undefined {
    const b = this.byType.get(type);
    if (b === undefined) return undefined;
    const nul = b.indexOf(0);
    return b.toString('utf8', 0, nul === -1 ? b.length : nul);
  }

  nested(type: number): AttributeTable | undefined {
    const b = this.byType.get(type);
    return b === undefined ? undefined : new AttributeTable(b);
  }
}
