// How a kernel refusal reaches the client: a gRPC status that says what kind
// of problem it is, and a message naming the step, the kernel's text and the
// errno name ("could not add route ...: Network is unreachable (ENETUNREACH)").
import { status } from '@grpc/grpc-js';
import { AgentError } from '../rpc/errors';
import { NetlinkError } from './netlink/errno';

const STATUS_BY_ERRNO: Record<string, status> = {
  EEXIST: status.ALREADY_EXISTS,
  ENODEV: status.NOT_FOUND,
  ENOENT: status.NOT_FOUND,
  ESRCH: status.NOT_FOUND,
  EADDRNOTAVAIL: status.NOT_FOUND,
  EINVAL: status.INVALID_ARGUMENT,
  ERANGE: status.INVALID_ARGUMENT,
  EAFNOSUPPORT: status.INVALID_ARGUMENT,
  ENETUNREACH: status.FAILED_PRECONDITION,
  EHOSTUNREACH: status.FAILED_PRECONDITION,
  ENETDOWN: status.FAILED_PRECONDITION,
  EBUSY: status.FAILED_PRECONDITION,
  EPERM: status.PERMISSION_DENIED,
  EACCES: status.PERMISSION_DENIED,
  ETIMEDOUT: status.DEADLINE_EXCEEDED,
  EOPNOTSUPP: status.UNIMPLEMENTED,
};

/** Wraps a failure of step `action`; errors that already carry a status pass through. */
export function kernelRefusal(action: string, err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  if (err instanceof NetlinkError) {
    return new AgentError(
      STATUS_BY_ERRNO[err.code] ?? status.INTERNAL,
      `${action}: ${err.message} (${err.code})`,
    );
  }
  return new AgentError(status.INTERNAL, `${action}: ${err instanceof Error ? err.message : String(err)}`);
}

/** True when `err` is the kernel's `code` (e.g. "EEXIST"). */
export function isErrno(err: unknown, code: string): boolean {
  return err instanceof NetlinkError && err.code === code;
}
