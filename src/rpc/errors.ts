// Errors that carry their gRPC status. Handlers throw these; the call wrapper
// (src/rpc/service.ts) turns anything else into UNKNOWN with the error's text,
// which is what 1.x clients see for plain Go errors.
import { status } from '@grpc/grpc-js';

export class AgentError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

export const invalidArgument = (msg: string): AgentError => new AgentError(status.INVALID_ARGUMENT, msg);
export const notFound = (msg: string): AgentError => new AgentError(status.NOT_FOUND, msg);
export const alreadyExists = (msg: string): AgentError => new AgentError(status.ALREADY_EXISTS, msg);
export const failedPrecondition = (msg: string): AgentError =>
  new AgentError(status.FAILED_PRECONDITION, msg);
export const deadlineExceeded = (msg: string): AgentError => new AgentError(status.DEADLINE_EXCEEDED, msg);
export const unimplemented = (msg: string): AgentError => new AgentError(status.UNIMPLEMENTED, msg);
export const internal = (msg: string): AgentError => new AgentError(status.INTERNAL, msg);
export const unknown = (msg: string): AgentError => new AgentError(status.UNKNOWN, msg);
export const resourceExhausted = (msg: string): AgentError => new AgentError(status.RESOURCE_EXHAUSTED, msg);
export const permissionDenied = (msg: string): AgentError => new AgentError(status.PERMISSION_DENIED, msg);

/** The end-of-stream answer of ReadStdout/ReadStderr: 1.x clients stop reading on UNKNOWN "EOF". */
export const endOfStream = (): AgentError => unknown('EOF');

/** Status code and message for any thrown value. */
export function toStatus(err: unknown): { code: status; message: string } {
  if (err instanceof AgentError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: status.UNKNOWN, message: err.message };
  return { code: status.UNKNOWN, message: String(err) };
}
