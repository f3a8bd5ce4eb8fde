// src/generated/wire-schema.ts is derived from proto/*.proto: for every message,
// the wire type each field must arrive with and the message type of nested
// fields, so that the agent can refuse malformed protobuf at any depth. This
// test regenerates it in memory and fails when the checked-in file is stale;
// UPDATE_WIRE_SCHEMA=1 writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoProtoSchema, type FieldSchema, type ScalarType } from '../../tools/testkit/proto-schema';

const TARGET = path.resolve(__dirname, '..', '..', '..', 'src', 'generated', 'wire-schema.ts');

const WIRE: Record<ScalarType, number> = {
  int32: 0,
  int64: 0,
  uint32: 0,
  uint64: 0,
  sint32: 0,
  sint64: 0,
  bool: 0,
  fixed64: 1,
  sfixed64: 1,
  double: 1,
  string: 2,
  bytes: 2,
  fixed32: 5,
  sfixed32: 5,
  float: 5,
};

function wireOf(f: { type: FieldSchema['type'] }): number {
  return f.type.kind === 'scalar' ? WIRE[f.type.scalar] : f.type.kind === 'enum' ? 0 : 2;
}

/** "W" or "W:Type" (a nested message), with "r" when a repeated scalar may also come packed. */
function describe(f: FieldSchema, entry: string | undefined): string {
  if (entry) return `2:${entry}`;
  const wire = wireOf(f);
  if (f.type.kind === 'message') return `2:${f.type.name}`;
  return f.repeated && wire !== 2 ? `${wire}r` : `${wire}`;
}

function render(): string {
  const schema = repoProtoSchema();
  const messages: Record<string, Record<number, string>> = {};
  for (const m of [...schema.messages.values()].sort((a, b) => a.fullName.localeCompare(b.fullName))) {
    const fields: Record<number, string> = {};
    for (const f of m.fields) {
      let entry: string | undefined;
      if (f.mapKey) {
        // A map is a repeated entry message: key = 1, value = 2.
        entry = `${m.fullName}.${f.name}Entry`;
        const value = describe({ ...f, repeated: false, mapKey: undefined }, undefined);
        messages[entry] = { 1: `${WIRE[f.mapKey]}`, 2: value };
      }
      fields[f.number] = describe(f, entry);
    }
    messages[m.fullName] = fields;
  }
  const requests = Object.fromEntries([...schema.requestTypes.entries()].sort());
  return [
    '// Generated from proto/*.proto by test/proto/wire-schema.test.ts (UPDATE_WIRE_SCHEMA=1); do not edit.',
    '// Per message: field number -> wire type, ":Type" for a nested message, "r" for a repeated',
    '// scalar that may also arrive packed. Read by src/rpc/protobuf-check.ts.',
    `export const WIRE_MESSAGES: Readonly<Record<string, Readonly<Record<number, string>>>> = ${JSON.stringify(sortKeys(messages), null, 2)};`,
    '',
    `export const REQUEST_TYPES: Readonly<Record<string, string>> = ${JSON.stringify(requests, null, 2)};`,
    '',
  ].join('\n');
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

test('src/generated/wire-schema.ts is what proto/*.proto say', () => {
  const fresh = render();
  if (process.env.UPDATE_WIRE_SCHEMA === '1') writeFileSync(TARGET, fresh);
  assert.equal(readFileSync(TARGET, 'utf8'), fresh, 'stale: run the test with UPDATE_WIRE_SCHEMA=1');
});
