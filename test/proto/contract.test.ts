// proto/*.proto against the pinned 1.x wire contract (test/fixtures/kata-1x-contract.txt):
// any drift in a name, number or type fails, with the differing lines shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoProtoSchema, type FieldSchema } from '../../tools/testkit/proto-schema';

const PINNED = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'kata-1x-contract.txt');

const local = (name: string): string => name.replace(/^grpc\./, '');

function typeOf(f: FieldSchema): string {
  const base = f.type.kind === 'scalar' ? f.type.scalar : local(f.type.name);
  if (f.mapKey) return `map<${f.mapKey},${base}>`;
  return f.repeated ? `repeated ${base}` : base;
}

/** The contract our .proto files declare, in the pinned file's form. */
function declaredContract(): string[] {
  const schema = repoProtoSchema();
  const lines: string[] = [];
  const messages = [...schema.messages.values()].sort((a, b) => a.fullName.localeCompare(b.fullName));
  for (const m of messages) {
    if (m.fields.length === 0) lines.push(`${local(m.fullName)} {}`);
    for (const f of [...m.fields].sort((a, b) => a.number - b.number)) {
      lines.push(`${local(m.fullName)}.${f.name} = ${f.number} ${typeOf(f)}`);
    }
  }
  for (const [rpc, request] of [...schema.requestTypes.entries()].sort()) lines.push(`rpc ${rpc} ${local(request)}`);
  for (const [name, numbers] of [...schema.enums.entries()].sort()) lines.push(`enum ${local(name)} ${numbers.join(',')}`);
  return lines;
}

test('proto/*.proto match the pinned 1.x wire contract: names, numbers and types', () => {
  const pinned = readFileSync(PINNED, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  const declared = declaredContract();
  const missing = pinned.filter((l) => !declared.includes(l));
  const extra = declared.filter((l) => !pinned.includes(l));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'the .proto files drifted from the 1.x contract');
  assert.equal(pinned.filter((l) => l.startsWith('rpc /grpc.AgentService/')).length, 32, '32 AgentService RPCs');
});
