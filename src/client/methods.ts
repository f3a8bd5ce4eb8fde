// Every RPC of both services by name, with its JSON codecs: what the
// command-line client and the fuzzer need to build requests generically.
import { AgentServiceDefinition } from '../generated/agent';
import { HealthDefinition } from '../generated/health';
import type { GenericServiceDefinition } from '../rpc/types';

export interface MethodCodec {
  /** "CreateContainer", "Check", ... */
  name: string;
  /** Key of the typed client: "createContainer", "check", ... */
  key: string;
  path: string;
  service: 'agent' | 'health';
  request: MessageCodec;
  response: MessageCodec;
}

export interface MessageCodec {
  fromJSON(json: unknown): unknown;
  toJSON(message: never): unknown;
  encode(message: never): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  fromPartial(partial: never): unknown;
}

function collect(service: 'agent' | 'health', def: GenericServiceDefinition): MethodCodec[] {
  return Object.entries(def.methods).map(([key, m]) => ({
    name: m.name,
    key,
    path: `/${def.fullName}/${m.name}`,
    service,
    request: m.requestType as MessageCodec,
    response: m.responseType as MessageCodec,
  }));
}

export const METHODS: readonly MethodCodec[] = [
  ...collect('agent', AgentServiceDefinition),
  ...collect('health', HealthDefinition),
];

/** Finds a method by RPC name or client key, case-insensitively. */
export function findMethod(name: string): MethodCodec | undefined {
  const lower = name.toLowerCase();
  return METHODS.find((m) => m.name.toLowerCase() === lower || m.key.toLowerCase() === lower);
}
