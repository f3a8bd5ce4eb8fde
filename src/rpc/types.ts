// The shape every RPC handler has: a decoded request in, a response out (or a
// thrown AgentError). Types are derived from the generated service definitions.
import type { AgentServiceDefinition } from '../generated/agent';
import type { HealthDefinition } from '../generated/health';
import type { Logger } from '../logging/logger';

/** The call's HTTP/2 headers: the host's metadata (trace context, deadline) in lower case. */
export type CallMetadata = Readonly<Record<string, string | string[] | undefined>>;

export interface CallContext {
  /** RPC name, e.g. "CreateContainer". */
  method: string;
  /** Logger carrying the method (and, once known, container/exec ids). */
  log: Logger;
  metadata: CallMetadata;
  /** True once the client has cancelled or gone away. */
  cancelled(): boolean;
  /** Runs `fn` when the client cancels or disconnects; returns an unsubscribe function. */
  onCancel(fn: () => void): () => void;
}

/** A message codec as ts-proto generates it: what the wire needs of it. */
interface MessageType {
  encode(message: never): { finish(): Uint8Array };
  decode(input: Uint8Array): unknown;
}

/** A service as ts-proto's generic definitions describe it (server, client and tests use this shape). */
export interface GenericServiceDefinition {
  fullName: string;
  methods: Record<string, { name: string; requestType: MessageType; responseType: MessageType }>;
}

type HandlersOf<M extends GenericServiceDefinition['methods']> = {
  [K in keyof M]: (
    request: ReturnType<M[K]['requestType']['decode']>,
    call: CallContext,
  ) => Promise<Parameters<M[K]['responseType']['encode']>[0]>;
};

/** Keyed by the generated (camelCase) method names: createContainer, readStdout, ... */
export type AgentHandlers = HandlersOf<(typeof AgentServiceDefinition)['methods']>;
export type HealthHandlers = HandlersOf<(typeof HealthDefinition)['methods']>;
