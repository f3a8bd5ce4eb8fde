// The protobuf spec calls some byte strings malformed that the generated
// decoders accept: they stop at a tag of 0 or at an end-group tag and answer
// an empty message, so "00 01" or "0c" would pass as a valid request. This
// walks the top level of a message once (no allocation) and refuses them:
// field number 0, the reserved wire types 6 and 7, groups that are not closed
// by their own end tag, and truncated varints, lengths or fixed fields.
// Nested messages cannot be told from bytes fields without the schema; the
// generated decoder checks their lengths.

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;
const MAX_GROUP_DEPTH = 64;

export class MalformedProtobuf extends Error {}

export function checkWellFormed(bytes: Uint8Array): void {
  const groups: number[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= bytes.length) throw new MalformedProtobuf(`truncated varint at byte ${pos}`);
      const b = bytes[pos++];
      // Only the low 53 bits matter for tags and lengths; larger lengths fail the bound below.
      if (shift < 49) value += (b & 0x7f) * 2 ** shift;
      else if (b & 0x7f) value = Number.MAX_SAFE_INTEGER;
      if ((b & 0x80) === 0) return value;
    }
    throw new MalformedProtobuf(`varint longer than 10 bytes at byte ${pos}`);
  };
  const skip = (n: number, what: string): void => {
    if (n > bytes.length - pos) throw new MalformedProtobuf(`${what} at byte ${pos} runs past the end`);
    pos += n;
  };
  while (pos < bytes.length) {
    const at = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) throw new MalformedProtobuf(`field number 0 at byte ${at}`);
    if (field > 0x1fffffff)
      throw new MalformedProtobuf(`field number ${field} at byte ${at} is out of range`);
    switch (wireType) {
      case VARINT:
        varint();
        break;
      case FIXED64:
        skip(8, 'fixed64 field');
        break;
      case LENGTH_DELIMITED:
        skip(varint(), 'length-delimited field');
        break;
      case START_GROUP:
        if (groups.length >= MAX_GROUP_DEPTH)
          throw new MalformedProtobuf(`groups nested too deep at byte ${at}`);
        groups.push(field);
        break;
      case END_GROUP:
        if (groups.pop() !== field)
          throw new MalformedProtobuf(`end-group tag of field ${field} at byte ${at} closes no group`);
        break;
      case FIXED32:
        skip(4, 'fixed32 field');
        break;
      default:
        throw new MalformedProtobuf(`invalid wire type ${wireType} at byte ${at}`);
    }
  }
  if (groups.length) throw new MalformedProtobuf(`group of field ${groups[groups.length - 1]} is not closed`);
}
