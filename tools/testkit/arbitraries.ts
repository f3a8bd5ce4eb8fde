// fast-check arbitraries of valid protocol messages built from the proto
// schema, with field values drawn from domains that reach deep into handlers:
// a small pool of container/exec ids (so calls meet each other's state), paths
// both sane and hostile, boundary numbers, and arbitrary text.
import fc from 'fast-check';
import type { MessageCodec } from '../../src/client/methods';
import { CONFINED_MAC } from './confined-agent';
import type { FieldSchema, ProtoSchema, ScalarType } from './proto-schema';

/** Ids shared by every generated request, so that a create meets a later start or read. */
export const ID_POOL = ['fuzz-a', 'fuzz-b', 'c1'];

const HOSTILE_IDS = ['', '.', '..', '../x', 'a/b', '/abs', 'a\0b', ' ', 'x'.repeat(300), 'é', '-lead'];

const PATHS = [
  '',
  '/',
  '.',
  '..',
  'relative/path',
  '/run/kata-containers/shared/containers/fuzz-a',
  '/run/kata-containers/sandbox/fuzz',
  '/../../../etc/passwd',
  '/run/../etc',
  '/dev/null',
  '/proc/self/fd/0',
  '/tmp/a\0b',
  '/' + 'd/'.repeat(200),
];

const TEXT = ['', ' ', '\n', '\0', '%s%n', '${x}', 'true', '-1', '4294967296', '🙂', 'a'.repeat(5000)];

const idArb = fc.oneof(
  { arbitrary: fc.constantFrom(...ID_POOL), weight: 6 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,20}$/), weight: 2 },
  { arbitrary: fc.constantFrom(...HOSTILE_IDS), weight: 2 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 1 },
);

const pathArb = fc.oneof(
  { arbitrary: fc.constantFrom(...PATHS), weight: 4 },
  {
    arbitrary: fc
      .array(fc.constantFrom('a', 'b', '..', '.', '', 'run', 'x y'), { maxLength: 6 })
      .map((p) => '/' + p.join('/')),
    weight: 3,
  },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 1 },
);

const textArb = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.constantFrom(...TEXT), weight: 2 },
  { arbitrary: idArb, weight: 1 },
  { arbitrary: pathArb, weight: 1 },
);

const macArb = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      CONFINED_MAC,
      '00:00:00:00:00:00',
      'ff:ff:ff:ff:ff:ff',
      '',
      'zz:zz',
      '02:00:00:00:00:01:02',
    ),
    weight: 3,
  },
  {
    arbitrary: fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
      .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':')),
    weight: 1,
  },
);

const ipArb = fc.oneof(
  { arbitrary: fc.ipV4(), weight: 2 },
  { arbitrary: fc.ipV6(), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '10.0.0.1',
      '10.0.0.0/24',
      '127.0.0.1',
      '::1',
      'fe80::1/64',
      '0.0.0.0/0',
      '1.2.3.4/33',
      '256.1.1.1',
      '',
    ),
    weight: 2,
  },
);

const NETWORK_FIELDS: [RegExp, fc.Arbitrary<string>][] = [
  [/^(hwAddr|lladdr)$/, macArb],
  [/^(address|gateway|dest)$/, fc.oneof({ arbitrary: ipArb, weight: 4 }, { arbitrary: textArb, weight: 1 })],
  [/^mask$/, fc.constantFrom('0', '8', '24', '32', '64', '128', '129', '-1', 'abc', '')],
  [
    /^(device|name)$/,
    fc.oneof(
      { arbitrary: fc.constantFrom('fuzz0', 'fuzz1', 'lo', 'eth0', '', 'x'.repeat(20)), weight: 3 },
      { arbitrary: textArb, weight: 1 },
    ),
  ],
];

function stringFor(fieldName: string): fc.Arbitrary<string> {
  if (/(^|_)id$|Id$|^id$|ID$/.test(fieldName)) return idArb;
  for (const [pattern, arb] of NETWORK_FIELDS) if (pattern.test(fieldName)) return arb;
  if (/path|dest|source|mount|root|file|dir|cwd|device|Path|Dest|Source|Root|Cwd/.test(fieldName)) {
    return fc.oneof({ arbitrary: pathArb, weight: 3 }, { arbitrary: textArb, weight: 1 });
  }
  return textArb;
}

function integer(min: number, max: number, edges: (number | bigint)[]): fc.Arbitrary<number | bigint> {
  return fc.oneof(
    { arbitrary: fc.integer({ min, max }), weight: 3 },
    { arbitrary: fc.constantFrom(...edges), weight: 2 },
  );
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const SAFE = Number.MAX_SAFE_INTEGER;

function scalar(type: ScalarType, fieldName: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringFor(fieldName);
    case 'bytes':
      return fc
        .oneof(
          { arbitrary: fc.uint8Array({ maxLength: 512 }), weight: 9 },
          { arbitrary: fc.uint8Array({ minLength: 60_000, maxLength: 70_000 }), weight: 1 },
        )
        .map((a) => Buffer.from(a));
    case 'bool':
      return fc.boolean();
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return integer(INT32_MIN, INT32_MAX, [0, 1, -1, 9, 15, INT32_MAX, INT32_MIN]);
    case 'uint32':
    case 'fixed32':
      return integer(0, UINT32_MAX, [0, 1, 9, 65535, UINT32_MAX]);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      // 64-bit fields travel exactly (bigint): their true extremes too.
      return integer(-SAFE, SAFE, [0, 1, -1, 999_999, 1_000_000, SAFE, -SAFE, 2n ** 63n - 1n, -(2n ** 63n)]);
    case 'uint64':
    case 'fixed64':
      return integer(0, SAFE, [0, 1, 4096, 2 ** 32, SAFE, 2n ** 63n, 2n ** 64n - 1n]);
    case 'float':
    case 'double':
      return fc.double();
  }
}

interface MessageArbitraries {
  /** A partial object (proto field names) of the message `fullName`. */
  message(fullName: string): fc.Arbitrary<Record<string, unknown>>;
}

/** Sub-messages below this depth are left out, which keeps the OCI spec finite and small. */
const MAX_DEPTH = 5;

export function messageArbitraries(schema: ProtoSchema): MessageArbitraries {
  const cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

  const fieldArb = (field: FieldSchema, depth: number): fc.Arbitrary<unknown> | undefined => {
    let one: fc.Arbitrary<unknown> | undefined;
    const t = field.type;
    if (t.kind === 'scalar') one = scalar(t.scalar, field.name);
    else if (t.kind === 'enum') {
      const values = schema.enums.get(t.name) ?? [0];
      one = fc.oneof(
        { arbitrary: fc.constantFrom(...values), weight: 4 },
        { arbitrary: fc.integer({ min: -3, max: 1000 }), weight: 1 },
      );
    } else {
      if (depth >= MAX_DEPTH) return undefined;
      one = build(t.name, depth + 1);
    }
    if (field.mapKey) return fc.dictionary(stringFor(field.name), one, { maxKeys: 3 });
    if (field.repeated) return fc.array(one, { maxLength: 3 });
    return one;
  };

  const build = (fullName: string, depth: number): fc.Arbitrary<Record<string, unknown>> => {
    const key = `${fullName}@${depth}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const schemaOf = schema.messages.get(fullName);
    if (!schemaOf) throw new Error(`no message ${fullName} in the schema`);
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of schemaOf.fields) {
      const arb = fieldArb(field, depth);
      if (arb) model[field.name] = arb;
    }
    const arb = fc.record(model, { requiredKeys: [] });
    cache.set(key, arb);
    return arb;
  };

  return { message: (fullName) => build(fullName, 0) };
}

/** Encodes a partial message with its generated codec (defaults filled in). */
export function encodePartial(codec: MessageCodec, partial: Record<string, unknown>): Buffer {
  return Buffer.from(codec.encode(codec.fromPartial(partial as never) as never).finish());
}
