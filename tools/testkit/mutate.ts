// Mutations of protobuf encodings: bit flips, truncation, duplicated fields,
// spliced bytes, inflated length prefixes and wrong wire types. They start from
// a valid encoding so that the result gets past the first bytes of the decoder.
import fc from 'fast-check';

interface WireField {
  start: number;
  end: number;
  wireType: number;
  /** Where the length varint of a length-delimited field starts and ends. */
  lengthAt?: [number, number];
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    scale *= 128;
    if ((bytes[i] & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

function writeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** The top-level fields of an encoding, as far as it parses. */
function topLevelFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = readVarint(bytes, at);
    if (!tag) break;
    const wireType = tag[0] % 8;
    let end: number;
    let lengthAt: [number, number] | undefined;
    if (wireType === 0) {
      const v = readVarint(bytes, tag[1]);
      if (!v) break;
      end = v[1];
    } else if (wireType === 1) end = tag[1] + 8;
    else if (wireType === 5) end = tag[1] + 4;
    else if (wireType === 2) {
      const len = readVarint(bytes, tag[1]);
      if (!len) break;
      lengthAt = [tag[1], len[1]];
      end = len[1] + len[0];
    } else break;
    if (end > bytes.length) break;
    fields.push({ start: at, end, wireType, lengthAt });
    at = end;
  }
  return fields;
}

type MutationKind = 'flip' | 'truncate' | 'duplicate' | 'splice' | 'inflate' | 'retag';

const KINDS: MutationKind[] = ['flip', 'truncate', 'duplicate', 'splice', 'inflate', 'retag'];

/** Applies one mutation; `a` and `b` pick positions, `extra` is inserted by splice. */
function mutate(bytes: Uint8Array, kind: MutationKind, a: number, b: number, extra: Uint8Array): Buffer {
  const src = Buffer.from(bytes);
  const fields = topLevelFields(src);
  const field = fields.length ? fields[a % fields.length] : undefined;
  switch (kind) {
    case 'flip': {
      if (src.length === 0) return Buffer.from(extra);
      const bit = a % (src.length * 8);
      src[bit >> 3] ^= 1 << (bit & 7);
      return src;
    }
    case 'truncate':
      return src.subarray(0, src.length ? a % src.length : 0);
    case 'duplicate':
      // A repeated occurrence of a singular field: the last wins, sub-messages merge.
      return field ? Buffer.concat([src.subarray(0, field.end), src.subarray(field.start)]) : src;
    case 'splice': {
      const at = a % (src.length + 1);
      return Buffer.concat([src.subarray(0, at), extra, src.subarray(at)]);
    }
    case 'inflate': {
      const delimited = fields.filter((f) => f.lengthAt);
      const target = delimited.length ? delimited[a % delimited.length] : undefined;
      if (!target?.lengthAt) return src;
      const huge = [0x7fffffff, 0xffffffff, 2 ** 40, src.length + 1][b % 4];
      return Buffer.concat([
        src.subarray(0, target.lengthAt[0]),
        Buffer.from(writeVarint(huge)),
        src.subarray(target.lengthAt[1]),
      ]);
    }
    case 'retag': {
      if (!field) return src;
      const tag = readVarint(src, field.start);
      if (!tag) return src;
      const fieldNumber = Math.floor(tag[0] / 8);
      const newTag = writeVarint(fieldNumber * 8 + (b % 8));
      return Buffer.concat([src.subarray(0, field.start), Buffer.from(newTag), src.subarray(tag[1])]);
    }
  }
}

/** One to three mutations of `base`. */
export function mutatedArb(base: Uint8Array): fc.Arbitrary<Buffer> {
  const step = fc.tuple(fc.constantFrom(...KINDS), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 12 }));
  return fc
    .array(step, { minLength: 1, maxLength: 3 })
    .map((steps) =>
      steps.reduce<Buffer>((bytes, [k, a, b, extra]) => mutate(bytes, k, a, b, extra), Buffer.from(base)),
    );
}

/** Bytes with no structure at all, plus a few encodings that hurt naive decoders. */
export const randomBytesArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    { arbitrary: fc.uint8Array({ maxLength: 256 }), weight: 8 },
    {
      arbitrary: fc.constantFrom(
        Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), // field 1, length 4 GiB
        Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // overlong varint
        Uint8Array.from([0x0b, 0x0c]), // a group start/end pair
        Uint8Array.from([0x00]), // field number 0
        Uint8Array.from([0xfa, 0xff, 0xff, 0xff, 0x0f, 0x00]), // the largest field number
      ),
      weight: 2,
    },
  )
  .map((a) => Buffer.from(a));
