// Turns typed handlers into the wire's unary handlers. This is the one place
// that decodes requests (bad bytes → INVALID_ARGUMENT), refuses NUL bytes in
// strings, maps thrown errors to gRPC statuses, logs each call at debug level,
// feeds the observers (tracing, metrics) and answers UNIMPLEMENTED for RPCs no
// module provides. Handlers only validate and delegate.
import type { Logger } from '../logging/logger';
import { AgentError, invalidArgument, toStatus, unimplemented } from '../common/errors';
import type { UnaryHandler, WireCall } from './grpc-wire';
import { REQUEST_TYPES } from '../generated/wire-schema';
import { checkWellFormed } from './protobuf-check';
import { Code, codeName } from '../common/status';
import type { CallContext, GenericServiceDefinition } from './types';
import { findNulString } from './validate';
import { errorText } from '../common/error-text';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- requests are typed per method by the caller
type AnyHandler = (request: any, call: CallContext) => Promise<unknown>;

/** Observes every call: tracing and metrics hook in here. */
export interface CallObserver {
  /** Called before the handler; the returned function is called with the outcome. */
  start(method: string, request: unknown, call: CallContext): (code: Code, error?: string) => void;
}

/**
 * Responses that are one bytes field (ReadStdout, ReadStderr: field 1) are
 * framed by hand so the output is sent without being copied.
 */
const BYTES_ONLY_RESPONSES = new Set(['/grpc.AgentService/ReadStdout', '/grpc.AgentService/ReadStderr']);

/** Adds a route for every method of `service` to `routes`, keyed by its path. */
export function addService(
  routes: Map<string, UnaryHandler>,
  service: GenericServiceDefinition,
  handlers: Record<string, AnyHandler | undefined>,
  log: Logger,
  observers: readonly CallObserver[] = [],
): void {
  for (const [key, def] of Object.entries(service.methods)) {
    const path = `/${service.fullName}/${def.name}`;
    const encode = BYTES_ONLY_RESPONSES.has(path)
      ? (response: unknown) => encodeBytesField((response as { data: Uint8Array }).data)
      : (response: unknown) => toBuffer(def.responseType.encode(response as never).finish());
    const method: MethodRoute = {
      name: def.name,
      decode: (b) => {
        checkWellFormed(b, REQUEST_TYPES[path]);
        return def.requestType.decode(b);
      },
      encode,
      handler: handlers[key],
    };
    routes.set(path, (request, call) => dispatch(method, request, call, log, observers));
  }
}

interface MethodRoute {
  name: string;
  decode(bytes: Buffer): unknown;
  encode(response: unknown): Buffer | Buffer[];
  handler: AnyHandler | undefined;
}

async function dispatch(
  route: MethodRoute,
  bytes: Buffer,
  wire: WireCall,
  log: Logger,
  observers: readonly CallObserver[],
): Promise<Buffer | Buffer[]> {
  const started = process.hrtime.bigint();
  const method = route.name;
  let request: unknown;
  try {
    request = route.decode(bytes);
  } catch (err) {
    log.warn({ method, error: errorText(err) }, 'bad request bytes');
    throw invalidArgument(`cannot decode ${method} request: ${(err as Error).message}`);
  }
  const context = callContext(method, wire, log);
  const finishers = observers.map((o) => o.start(method, request, context));
  const debug = log.isLevelEnabled('debug');
  if (debug) context.log.debug({ request }, 'new request');
  try {
    if (!route.handler) throw unimplemented(`${method} is not implemented by this agent`);
    const nulField = findNulString(request);
    if (nulField !== undefined) throw invalidArgument(`${nulField} contains a NUL byte`);
    const response = route.encode(await route.handler(request, context));
    if (debug) context.log.debug({ duration_us: elapsedUs(started) }, 'request end');
    for (const finish of finishers) finish(Code.OK);
    return response;
  } catch (err) {
    const { code, message } = toStatus(err);
    // Expected outcomes (EOF, not found, bad input) stay at debug; failures of
    // the agent or the guest are worth a line a person can act on, with the ids.
    const level = WARN_CODES.has(code) && message !== 'EOF' ? 'warn' : 'debug';
    context.log[level](
      { code: codeName(code), error: message, duration_us: elapsedUs(started), ...requestIds(request) },
      'request failed',
    );
    for (const finish of finishers) finish(code, message);
    throw new AgentError(code, message);
  }
}

const WARN_CODES: ReadonlySet<Code> = new Set([
  Code.UNKNOWN,
  Code.INTERNAL,
  Code.DEADLINE_EXCEEDED,
  Code.UNAVAILABLE,
  Code.DATA_LOSS,
]);

const ID_FIELDS = ['sandbox_id', 'container_id', 'exec_id'] as const;

/** The ids a request names (container_id, exec_id, sandbox_id), for log lines. */
function requestIds(request: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  if (typeof request !== 'object' || request === null) return ids;
  for (const field of ID_FIELDS) {
    const value = (request as Record<string, unknown>)[field];
    if (typeof value === 'string' && value) ids[field] = value;
  }
  return ids;
}

function elapsedUs(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n);
}

/** The call as handlers see it; its logger is made on first use (most calls never log). */
function callContext(method: string, wire: WireCall, log: Logger): CallContext {
  let callLog: Logger | undefined;
  return {
    method,
    get log() {
      return (callLog ??= log.child({ method }));
    },
    metadata: wire.metadata,
    cancelled: () => wire.cancelled(),
    onCancel: (fn) => wire.onCancel(fn),
  };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A message whose only field is bytes field 1: tag 0x0a, varint length, the bytes. */
function encodeBytesField(data: Uint8Array | undefined): Buffer | Buffer[] {
  if (!data || data.length === 0) return Buffer.alloc(0);
  const head = [0x0a];
  for (let n = data.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      head.push(n);
      break;
    }
    head.push((n % 128) | 0x80);
  }
  return [Buffer.from(head), toBuffer(data)];
}
