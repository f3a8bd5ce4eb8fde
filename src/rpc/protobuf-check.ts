// The protobuf spec calls some byte strings malformed that the generated
// decoders accept: they stop at a tag of 0 or at an end-group tag and answer
// an empty message, so "00 01" or "0c" would pass as a valid request. This
// walks a message once (no allocation) and refuses them: field number 0, the
// reserved wire types 6 and 7, groups that are not closed by their own end
// tag, and truncated varints, lengths or fixed fields. Given the message's
// type, it also refuses a known field sent with another wire type (as Go's
// decoder does: the generated one would skip it silently) and checks nested
// messages the same way, at any depth (src/generated/wire-schema.ts).
import { WIRE_MESSAGES } from '../generated/wire-schema';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;
const MAX_GROUP_DEPTH = 64;
const MAX_MESSAGE_DEPTH = 100;

class MalformedProtobuf extends Error {}

/** Throws MalformedProtobuf; `typeName` (e.g. "grpc.CreateContainerRequest") enables the schema checks. */
export function checkWellFormed(bytes: Uint8Array, typeName?: string): void {
  checkMessage(bytes, 0, bytes.length, typeName, 0);
}

function checkMessage(
  bytes: Uint8Array,
  start: number,
  end: number,
  typeName: string | undefined,
  depth: number,
): void {
  if (depth > MAX_MESSAGE_DEPTH)
    throw new MalformedProtobuf(`messages nested deeper than ${MAX_MESSAGE_DEPTH}`);
  const schema = typeName === undefined ? undefined : WIRE_MESSAGES[typeName];
  const groups: number[] = [];
  let pos = start;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw new MalformedProtobuf(`truncated varint at byte ${pos}`);
      const b = bytes[pos++];
      // Only the low 53 bits matter for tags and lengths; larger lengths fail the bound below.
      if (shift < 49) value += (b & 0x7f) * 2 ** shift;
      else if (b & 0x7f) value = Number.MAX_SAFE_INTEGER;
      if ((b & 0x80) === 0) return value;
    }
    throw new MalformedProtobuf(`varint longer than 10 bytes at byte ${pos}`);
  };
  const skip = (n: number, what: string): void => {
    if (n > end - pos) throw new MalformedProtobuf(`${what} at byte ${pos} runs past the end`);
    pos += n;
  };
  while (pos < end) {
    const at = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) throw new MalformedProtobuf(`field number 0 at byte ${at}`);
    if (field > 0x1fffffff)
      throw new MalformedProtobuf(`field number ${field} at byte ${at} is out of range`);
    // Inside an unknown group nothing is known; end-group and invalid wire types are judged below.
    const expected =
      groups.length === 0 && wireType !== END_GROUP && wireType <= FIXED32 ? schema?.[field] : undefined;
    if (expected !== undefined) {
      const wanted = Number(expected[0]);
      // A repeated scalar may also come packed, as one length-delimited field.
      const packedOk = expected[1] === 'r' && wireType === LENGTH_DELIMITED;
      if (wireType !== wanted && !packedOk) {
        throw new MalformedProtobuf(
          `field ${field} of ${typeName} at byte ${at} has wire type ${wireType}, not ${wanted}`,
        );
      }
      if (expected[1] === ':') {
        const length = varint();
        const from = pos;
        skip(length, 'length-delimited field');
        checkMessage(bytes, from, pos, expected.slice(2), depth + 1);
        continue;
      }
    }
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
