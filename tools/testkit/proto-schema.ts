// A small reader of the repository's proto3 files: messages, fields, maps and
// enums, enough for the fuzzer to build valid requests of every RPC. The
// generated codecs carry no descriptors, and protoc is not needed at test time.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type ScalarType =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'int32'
  | 'sint32'
  | 'sfixed32'
  | 'uint32'
  | 'fixed32'
  | 'int64'
  | 'sint64'
  | 'sfixed64'
  | 'uint64'
  | 'fixed64'
  | 'float'
  | 'double';

const SCALARS = new Set<string>([
  'string',
  'bytes',
  'bool',
  'int32',
  'sint32',
  'sfixed32',
  'uint32',
  'fixed32',
  'int64',
  'sint64',
  'sfixed64',
  'uint64',
  'fixed64',
  'float',
  'double',
]);

type FieldType =
  { kind: 'scalar'; scalar: ScalarType } | { kind: 'enum'; name: string } | { kind: 'message'; name: string };

export interface FieldSchema {
  name: string;
  number: number;
  type: FieldType;
  repeated: boolean;
  /** Set for map<K, V> fields: the key scalar (type holds the value). */
  mapKey?: ScalarType;
}

interface MessageSchema {
  /** Fully qualified: "grpc.CreateContainerRequest". */
  fullName: string;
  fields: FieldSchema[];
}

export interface ProtoSchema {
  messages: Map<string, MessageSchema>;
  /** "/grpc.AgentService/CreateContainer" → "grpc.CreateContainerRequest". */
  requestTypes: Map<string, string>;
  /** Enum full name → its numbers. */
  enums: Map<string, number[]>;
}

interface RawField {
  name: string;
  number: number;
  typeName: string;
  repeated: boolean;
  mapKey?: string;
  /** Scope (fully qualified) the field's type name is resolved from. */
  scope: string;
}

function tokenize(text: string): string[] {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  return noComments.match(/"[^"]*"|[A-Za-z_][\w.]*|\d+|[{}<>=;,()[\]-]/g) ?? [];
}

/** Parses proto files (by path) into one schema; imports outside the list resolve to empty messages. */
function loadProtoSchema(files: readonly string[]): ProtoSchema {
  const rawMessages = new Map<string, RawField[]>();
  const enums = new Map<string, number[]>();
  const rpcs: RawRpc[] = [];
  for (const file of files) parseFile(tokenize(readFileSync(file, 'utf8')), rawMessages, enums, rpcs);
  // google.protobuf.Empty and friends: empty on the wire for our purposes.
  rawMessages.set('google.protobuf.Empty', []);

  const resolve = (typeName: string, scope: string): FieldType => {
    if (SCALARS.has(typeName)) return { kind: 'scalar', scalar: typeName as ScalarType };
    const candidates: string[] = [];
    if (typeName.startsWith('.')) candidates.push(typeName.slice(1));
    else {
      // Innermost scope first, as protoc does.
      const parts = scope.split('.');
      for (let i = parts.length; i >= 0; i--) candidates.push([...parts.slice(0, i), typeName].join('.'));
    }
    for (const c of candidates) {
      if (rawMessages.has(c)) return { kind: 'message', name: c };
      if (enums.has(c)) return { kind: 'enum', name: c };
    }
    throw new Error(`proto type ${typeName} (in ${scope}) not found`);
  };

  const messages = new Map<string, MessageSchema>();
  for (const [fullName, raw] of rawMessages) {
    messages.set(fullName, {
      fullName,
      fields: raw.map((f) => ({
        name: f.name,
        number: f.number,
        type: resolve(f.typeName, f.scope),
        repeated: f.repeated,
        ...(f.mapKey ? { mapKey: f.mapKey as ScalarType } : {}),
      })),
    });
  }
  const requestTypes = new Map<string, string>();
  for (const rpc of rpcs) {
    const type = resolve(rpc.requestType, rpc.pkg);
    if (type.kind !== 'message') throw new Error(`rpc ${rpc.path} takes a non-message`);
    requestTypes.set(rpc.path, type.name);
  }
  return { messages, enums, requestTypes };
}

interface RawRpc {
  path: string;
  requestType: string;
  pkg: string;
}

function parseFile(
  tokens: string[],
  messages: Map<string, RawField[]>,
  enums: Map<string, number[]>,
  rpcs: RawRpc[],
): void {
  let i = 0;
  let pkg = '';
  const expect = (t: string): void => {
    if (tokens[i] !== t) throw new Error(`proto parse: expected ${t}, got ${tokens[i]} at token ${i}`);
    i++;
  };
  const skipStatement = (): void => {
    while (i < tokens.length && tokens[i] !== ';') i++;
    i++;
  };
  /** Number of tokens from the '{' at i to its matching '}', inclusive. */
  const blockLength = (): number => {
    let depth = 0;
    let j = i;
    do {
      if (tokens[j] === '{') depth++;
      else if (tokens[j] === '}') depth--;
      j++;
    } while (depth > 0 && j < tokens.length);
    return j - i;
  };
  const parseEnum = (scope: string): void => {
    const name = tokens[i++];
    expect('{');
    const values: number[] = [];
    while (tokens[i] !== '}') {
      if (tokens[i] === 'option' || tokens[i] === 'reserved') {
        skipStatement();
        continue;
      }
      i++; // value name
      expect('=');
      const negative = tokens[i] === '-' ? (i++, -1) : 1;
      values.push(negative * Number(tokens[i++]));
      if (tokens[i] === '[') while (tokens[i] !== ']') i++;
      if (tokens[i] === ']') i++;
      expect(';');
    }
    i++;
    enums.set(scope ? `${scope}.${name}` : name, values);
  };
  const parseMessage = (scope: string): void => {
    const name = tokens[i++];
    const fullName = scope ? `${scope}.${name}` : name;
    const fields: RawField[] = [];
    messages.set(fullName, fields);
    expect('{');
    while (tokens[i] !== '}') {
      const t = tokens[i];
      if (t === 'message') {
        i++;
        parseMessage(fullName);
      } else if (t === 'enum') {
        i++;
        parseEnum(fullName);
      } else if (t === 'option' || t === 'reserved' || t === 'extensions') {
        skipStatement();
      } else if (t === 'oneof') {
        throw new Error(`proto parse: oneof in ${fullName} is not supported`);
      } else if (t === 'map') {
        i++;
        expect('<');
        const key = tokens[i++];
        expect(',');
        const value = tokens[i++];
        expect('>');
        const fieldName = tokens[i++];
        expect('=');
        const number = Number(tokens[i++]);
        skipStatement();
        fields.push({
          name: fieldName,
          number,
          typeName: value,
          repeated: true,
          mapKey: key,
          scope: fullName,
        });
      } else {
        let repeated = false;
        if (t === 'repeated' || t === 'optional') {
          repeated = t === 'repeated';
          i++;
        }
        const typeName = tokens[i++];
        const fieldName = tokens[i++];
        expect('=');
        const number = Number(tokens[i++]);
        skipStatement();
        fields.push({ name: fieldName, number, typeName, repeated, scope: fullName });
      }
    }
    i++;
  };
  while (i < tokens.length) {
    const t = tokens[i++];
    if (t === 'package') {
      pkg = tokens[i++];
      expect(';');
    } else if (t === 'message') parseMessage(pkg);
    else if (t === 'enum') parseEnum(pkg);
    else if (t === 'service') {
      const service = pkg ? `${pkg}.${tokens[i++]}` : tokens[i++];
      const end = i + blockLength();
      for (; i < end; i++) {
        if (tokens[i] !== 'rpc') continue;
        const name = tokens[i + 1];
        // rpc Name ( [stream] Request ) returns ...
        const requestType = tokens[i + 3] === 'stream' ? tokens[i + 4] : tokens[i + 3];
        rpcs.push({ path: `/${service}/${name}`, requestType, pkg });
      }
    } else if (t === 'syntax' || t === 'import' || t === 'option') skipStatement();
  }
}

/** The schema of the repository's protocol files (proto/ at the repository root). */
export function repoProtoSchema(): ProtoSchema {
  // Compiled to dist/test/robustness/: the repository root is three levels up.
  const root = path.resolve(__dirname, '..', '..', '..');
  const dir = path.join(root, 'proto');
  return loadProtoSchema(
    ['types.proto', 'oci.proto', 'agent.proto', 'health.proto'].map((f) => path.join(dir, f)),
  );
}
