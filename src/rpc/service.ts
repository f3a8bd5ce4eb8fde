// Turns typed handlers into grpc-js service implementations. This is the one
// place that decodes requests (bad bytes → INVALID_ARGUMENT), maps thrown errors
// to gRPC statuses, logs each call at debug level and answers UNIMPLEMENTED for
// RPCs no module provides. Handlers only validate and delegate.
import {
  status,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '../logging/logger';
import { invalidArgument, toStatus, unimplemented } from './errors';
import { findNulString } from './validate';
import type { CallContext } from './types';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- requests are typed per method by the caller
type AnyHandler = (request: any, call: CallContext) => Promise<unknown>;

interface MethodDef {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (v: never) => Buffer;
  requestDeserialize: (b: Buffer) => unknown;
  responseSerialize: (v: never) => Buffer;
  responseDeserialize: (b: Buffer) => unknown;
}

/** Observes every call: tracing and metrics hook in here. */
export interface CallObserver {
  /** Called before the handler; the returned function is called with the outcome. */
  start(method: string, request: unknown, call: CallContext): (code: status, error?: string) => void;
}

export interface ServiceBuild {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/**
 * Builds a definition whose requests arrive as raw bytes (so decoding failures are
 * ours to report) and an implementation that dispatches to `handlers`.
 */
export function buildService(
  generated: Record<string, MethodDef>,
  handlers: Record<string, AnyHandler | undefined>,
  log: Logger,
  observers: readonly CallObserver[] = [],
): ServiceBuild {
  const definition: Record<string, ServiceDefinition[string]> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [key, def] of Object.entries(generated)) {
    const method = def.path.slice(def.path.lastIndexOf('/') + 1);
    definition[key] = {
      ...def,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: def.responseSerialize as (v: unknown) => Buffer,
    } as ServiceDefinition[string];
    const handler = handlers[key];
    implementation[key] = (call: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<unknown>) => {
      void dispatch(method, def, handler, call, callback, log, observers);
    };
  }
  return { definition: definition as ServiceDefinition, implementation };
}

async function dispatch(
  method: string,
  def: MethodDef,
  handler: AnyHandler | undefined,
  call: ServerUnaryCall<Buffer, unknown>,
  callback: sendUnaryData<unknown>,
  log: Logger,
  observers: readonly CallObserver[],
): Promise<void> {
  const started = process.hrtime.bigint();
  const callLog = log.child({ method });
  const context = callContext(method, call, callLog);
  let request: unknown;
  try {
    request = def.requestDeserialize(call.request);
  } catch (err) {
    const message = `cannot decode ${method} request: ${(err as Error).message}`;
    callLog.warn({ err: (err as Error).message }, 'bad request bytes');
    callback({ code: status.INVALID_ARGUMENT, details: message });
    return;
  }
  const finishers = observers.map((o) => o.start(method, request, context));
  const debug = callLog.isLevelEnabled('debug');
  if (debug) callLog.debug({ request }, 'new request');
  try {
    if (!handler) throw unimplemented(`${method} is not implemented by this agent`);
    const nulField = findNulString(request);
    if (nulField !== undefined) throw invalidArgument(`${nulField} contains a NUL byte`);
    const response = await handler(request, context);
    if (debug) callLog.debug({ duration_us: elapsedUs(started) }, 'request end');
    for (const finish of finishers) finish(status.OK);
    callback(null, response);
  } catch (err) {
    const { code, message } = toStatus(err);
    // Expected outcomes (EOF, not found) stay at debug; real failures are worth a line.
    const level = code === status.UNKNOWN && message !== 'EOF' ? 'warn' : 'debug';
    callLog[level]({ code: status[code], error: message, duration_us: elapsedUs(started) }, 'request failed');
    for (const finish of finishers) finish(code, message);
    callback({ code, details: message });
  }
}

function elapsedUs(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n);
}

function callContext(method: string, call: ServerUnaryCall<Buffer, unknown>, log: Logger): CallContext {
  let cancelled = false;
  const listeners = new Set<() => void>();
  call.once('cancelled', () => {
    cancelled = true;
    for (const fn of listeners) fn();
    listeners.clear();
  });
  return {
    method,
    log,
    metadata: call.metadata,
    cancelled: () => cancelled || call.cancelled,
    onCancel(fn) {
      if (cancelled) {
        fn();
        return () => undefined;
      }
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
