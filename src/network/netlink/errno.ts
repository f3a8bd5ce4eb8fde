// The kernel answers a refused netlink request with a negative errno. Errno
// numbers differ between architectures, so names come from Node's table for
// this platform; the texts are the C library's strerror() wording, which is
// what `ip` prints and what people search for.
import os from 'node:os';
import util from 'node:util';

// Where two names share a number, the kernel's own spelling wins.
const ALIASES = new Set(['ENOTSUP', 'EWOULDBLOCK', 'EDEADLOCK']);
const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(os.constants.errno)) {
  const current = NAMES.get(value);
  if (current === undefined || ALIASES.has(current)) NAMES.set(value, name);
}

const TEXTS: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  ERANGE: 'Numerical result out of range',
  EDEADLK: 'Resource deadlock avoided',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ENODATA: 'No data available',
  ENOLINK: 'Link has been severed',
  EPROTO: 'Protocol error',
  EBADMSG: 'Bad message',
  EOVERFLOW: 'Value too large for defined data type',
  EMSGSIZE: 'Message too long',
  EPROTONOSUPPORT: 'Protocol not supported',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ENOBUFS: 'No buffer space available',
  ETIMEDOUT: 'Connection timed out',
  EHOSTDOWN: 'Host is down',
  EHOSTUNREACH: 'No route to host',
  EALREADY: 'Operation already in progress',
  ENOTSUP: 'Operation not supported',
  ENOTCONN: 'Transport endpoint is not connected',
};

/** The symbolic name of a positive errno ("EEXIST"), or "E<n>" when unknown. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** A human text for a positive errno, in strerror()'s words when we know them. */
export function errnoText(errno: number): string {
  const name = NAMES.get(errno);
  if (name && TEXTS[name]) return TEXTS[name];
  // libuv knows most remaining ones, keyed by the negative errno.
  const fromLibuv = util.getSystemErrorMap().get(-errno);
  if (fromLibuv) return fromLibuv[1].charAt(0).toUpperCase() + fromLibuv[1].slice(1);
  return `Unknown error ${errno}`;
}

/** The number of an errno name on this platform (EEXIST → 17 on most architectures). */
export function errnoNumber(name: string): number {
  const value = (os.constants.errno as Record<string, number>)[name];
  if (value === undefined) throw new Error(`unknown errno name ${name}`);
  return value;
}

/** A request the kernel refused, with the errno and (when the kernel sent one) its extended-ack text. */
export class NetlinkError extends Error {
  /** Positive errno number. */
  readonly errno: number;
  /** Errno name, "EEXIST". */
  readonly code: string;
  /** strerror-like text, "File exists". */
  readonly text: string;
  /** The kernel's extended acknowledgement message, when it gave one. */
  readonly detail: string | undefined;

  constructor(errno: number, detail?: string) {
    const text = errnoText(errno);
    super(detail ? `${text}: ${detail}` : text);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = errnoName(errno);
    this.text = text;
    this.detail = detail;
  }
}
