// How a kernel refusal reaches the client: a gRPC status that says what kind
// of problem it is, and a message naming the step, the kernel's text and the
// errno name ("could not add route ...: Network is unreachable (ENETUNREACH)").
import { Code } from '../common/status';
import { AgentError } from '../common/errors';
import { NetlinkError } from './netlink/errno';
import { errorText } from '../common/error-text';

const STATUS_BY_ERRNO: Record<string, Code> = {
  EEXIST: Code.ALREADY_EXISTS,
  ENODEV: Code.NOT_FOUND,
  ENOENT: Code.NOT_FOUND,
  ESRCH: Code.NOT_FOUND,
  EADDRNOTAVAIL: Code.NOT_FOUND,
  EINVAL: Code.INVALID_ARGUMENT,
  ERANGE: Code.INVALID_ARGUMENT,
  EAFNOSUPPORT: Code.INVALID_ARGUMENT,
  ENETUNREACH: Code.FAILED_PRECONDITION,
  EHOSTUNREACH: Code.FAILED_PRECONDITION,
  ENETDOWN: Code.FAILED_PRECONDITION,
  EBUSY: Code.FAILED_PRECONDITION,
  EPERM: Code.PERMISSION_DENIED,
  EACCES: Code.PERMISSION_DENIED,
  ETIMEDOUT: Code.DEADLINE_EXCEEDED,
  EOPNOTSUPP: Code.UNIMPLEMENTED,
};

/** Wraps a failure of step `action`; errors that already carry a status pass through. */
export function kernelRefusal(action: string, err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  if (err instanceof NetlinkError) {
    return new AgentError(
      STATUS_BY_ERRNO[err.code] ?? Code.INTERNAL,
      `${action}: ${err.message} (${err.code})`,
    );
  }
  return new AgentError(Code.INTERNAL, `${action}: ${errorText(err)}`);
}

/** True when `err` is the kernel's `code` (e.g. "EEXIST"). */
export function isErrno(err: unknown, code: string): boolean {
  return err instanceof NetlinkError && err.code === code;
}
