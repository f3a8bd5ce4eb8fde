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

interface MethodDefinition {
  requestType: { decode(input: Uint8Array): unknown };
  responseType: { encode(message: never): unknown };
}

type HandlersOf<M extends Record<string, MethodDefinition>> = {
  [K in keyof M]: (
    request: ReturnType<M[K]['requestType']['decode']>,
    call: CallContext,
  ) => Promise<Parameters<M[K]['responseType']['encode']>[0]>;
};

/** Keyed by the generated (camelCase) method names: createContainer, readStdout, ... */
export type AgentHandlers = HandlersOf<(typeof AgentServiceDefinition)['methods']>;
export type HealthHandlers = HandlersOf<(typeof HealthDefinition)['methods']>;
export type AgentMethod = keyof AgentHandlers;
