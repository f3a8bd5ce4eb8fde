// The shape every RPC handler has: a decoded request in, a response out (or a
// thrown AgentError). Types are derived from the generated service definitions.
import type { Metadata } from '@grpc/grpc-js';
import type { AgentServiceService } from '../generated/agent';
import type { HealthService } from '../generated/health';
import type { Logger } from '../logging/logger';

export interface CallContext {
  /** RPC name, e.g. "CreateContainer". */
  method: string;
  /** Logger carrying the method (and, once known, container/exec ids). */
  log: Logger;
  metadata: Metadata;
  /** True once the client has cancelled or gone away. */
  cancelled(): boolean;
  /** Runs `fn` when the client cancels or disconnects; returns an unsubscribe function. */
  onCancel(fn: () => void): () => void;
}

type Definition = Record<
  string,
  {
    path: string;
    requestDeserialize: (b: Buffer) => unknown;
    responseSerialize: (v: never) => Buffer;
  }
>;

type HandlersOf<D extends Definition> = {
  [K in keyof D]: (
    request: ReturnType<D[K]['requestDeserialize']>,
    call: CallContext,
  ) => Promise<Parameters<D[K]['responseSerialize']>[0]>;
};

/** Keyed by the generated (camelCase) method names: createContainer, readStdout, ... */
export type AgentHandlers = HandlersOf<typeof AgentServiceService>;
export type HealthHandlers = HandlersOf<typeof HealthService>;
export type AgentMethod = keyof AgentHandlers;
