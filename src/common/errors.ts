// Errors that carry their gRPC status. Handlers throw these; the call wrapper
// (src/rpc/service.ts) turns anything else into UNKNOWN with the error's text,
// which is what 1.x clients see for plain Go errors.
import { Code } from './status';

export class AgentError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

export const invalidArgument = (msg: string): AgentError => new AgentError(Code.INVALID_ARGUMENT, msg);
export const notFound = (msg: string): AgentError => new AgentError(Code.NOT_FOUND, msg);
export const alreadyExists = (msg: string): AgentError => new AgentError(Code.ALREADY_EXISTS, msg);
export const failedPrecondition = (msg: string): AgentError => new AgentError(Code.FAILED_PRECONDITION, msg);
export const deadlineExceeded = (msg: string): AgentError => new AgentError(Code.DEADLINE_EXCEEDED, msg);
export const unimplemented = (msg: string): AgentError => new AgentError(Code.UNIMPLEMENTED, msg);
export const internal = (msg: string): AgentError => new AgentError(Code.INTERNAL, msg);
export const unknown = (msg: string): AgentError => new AgentError(Code.UNKNOWN, msg);
export const resourceExhausted = (msg: string): AgentError => new AgentError(Code.RESOURCE_EXHAUSTED, msg);

/** The end-of-stream answer of ReadStdout/ReadStderr: 1.x clients stop reading on UNKNOWN "EOF". */
export const endOfStream = (): AgentError => unknown('EOF');

/** Status code and message for any thrown value. */
export function toStatus(err: unknown): { code: Code; message: string } {
  if (err instanceof AgentError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: Code.UNKNOWN, message: err.message };
  return { code: Code.UNKNOWN, message: String(err) };
}
