// The system calls Node.js does not offer, from our N-API addon (native/agent_native.c).
// Every function throws a Node-style error with `code` (errno name), `errno` (positive
// number) and `syscall` set when the kernel refuses. File descriptors are plain numbers
// owned by the caller; all created fds are O_CLOEXEC (and O_NONBLOCK where noted).
import path from 'node:path';

export interface WaitStatus {
  pid: number;
  /** Exit status when the process exited, else null. */
  exitCode: number | null;
  /** Terminating signal number when it was killed, else null. */
  signal: number | null;
}

export interface ReceivedMessage {
  data: Buffer;
  /** Descriptors received with SCM_RIGHTS (already O_CLOEXEC). */
  fds: number[];
}

export interface PollHandle {
  /** Stop watching; the fd itself stays open. */
  close(): void;
  /** Whether this handle keeps the event loop alive (default true). */
  ref(): void;
  unref(): void;
}

export const POLL_READABLE = 1;
export const POLL_WRITABLE = 2;
export const POLL_DISCONNECT = 4;

export interface NativeBinding {
  // --- sockets ---
  /** AF_VSOCK SOCK_STREAM, non-blocking, bound to (cid, port) and listening. */
  vsockListen(cid: number, port: number, backlog: number): number;
  /** AF_VSOCK SOCK_STREAM connected (blocking connect, then set non-blocking). */
  vsockConnect(cid: number, port: number): number;
  /** Whether the kernel offers AF_VSOCK (socket(AF_VSOCK) succeeds). */
  vsockAvailable(): boolean;
  /** AF_NETLINK SOCK_RAW (or DGRAM) non-blocking, bound with the given multicast groups; returns fd. */
  netlinkOpen(protocol: number, groups: number): number;
  /** sendto the kernel (pid 0); returns bytes sent. */
  netlinkSend(fd: number, data: Buffer): number;
  /** One datagram into a fresh buffer, or null on EAGAIN. ENOBUFS is thrown (code 'ENOBUFS'). */
  netlinkRecv(fd: number, maxSize: number): Buffer | null;
  /** Sets SO_RCVBUF(FORCE) on a socket. */
  setRecvBuffer(fd: number, bytes: number): void;
  /** socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC): placeholders for fd adoption. */
  socketPair(): [number, number];
  /** An AF_UNIX SOCK_STREAM socket bound to an autobind (abstract) address: a listener placeholder. */
  unixPlaceholder(): number;
  /** recvmsg with MSG_CMSG_CLOEXEC; null on EAGAIN; data empty at end of stream. */
  recvWithFds(fd: number, maxData: number): ReceivedMessage | null;

  // --- fds and pipes ---
  /** pipe2(O_CLOEXEC); flags may add O_NONBLOCK for either end: returns [readFd, writeFd]. */
  pipe(nonblockRead: boolean, nonblockWrite: boolean): [number, number];
  /** F_SETPIPE_SZ; returns the capacity the kernel granted. */
  setPipeSize(fd: number, bytes: number): number;
  getPipeSize(fd: number): number;
  setNonBlocking(fd: number, on: boolean): void;
  setCloexec(fd: number, on: boolean): void;
  dup3(oldFd: number, newFd: number): void;
  close(fd: number): void;
  /** Watch readiness with the event loop (uv_poll). events: POLL_* bit mask. */
  poll(fd: number, events: number, callback: (err: Error | null, events: number) => void): PollHandle;
  /** Writes `data`; returns bytes written or -1 on EAGAIN. */
  write(fd: number, data: Buffer): number;
  /** Reads up to `max`; returns the bytes, null on EAGAIN, empty buffer at EOF. */
  read(fd: number, max: number): Buffer | null;

  // --- processes ---
  setChildSubreaper(on: boolean): void;
  setDumpable(on: boolean): void;
  /** waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT): a child that has exited, without reaping it. */
  waitPeek(): WaitStatus | null;
  /** waitpid(pid, WNOHANG): reaps that one child if it has exited. */
  waitPid(pid: number): WaitStatus | null;
  /** setrlimit(resource, soft, hard); -1 = RLIM_INFINITY. */
  setRlimit(resource: number, soft: number, hard: number): void;

  // --- filesystem and system ---
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  sethostname(name: string): void;
  /** ioctl(TIOCSWINSZ). */
  setWindowSize(fd: number, rows: number, cols: number): void;
  /** ioctl(TCGETS/TCSETS): turn ONLCR on or off on a tty. */
  setOnlcr(fd: number, on: boolean): void;
  /** ioctl(RNDADDENTROPY) with entropy counted as 8 bits per byte. */
  addEntropy(fd: number, data: Buffer): void;
  /** ioctl(RNDRESEEDCRNG). */
  reseedCrng(fd: number): void;
  settimeofday(sec: number, usec: number): void;
  sync(): void;
  /** reboot(2) with one of the LINUX_REBOOT_CMD_* values in REBOOT. */
  reboot(cmd: number): void;
  /** Linux constants from the kernel headers of the build machine (MS_*, MNT_*, RLIMIT_*, ...). */
  constants: Record<string, number>;
}

let cached: NativeBinding | undefined;

/** The addon, loaded once. Throws with a clear message when `npm ci` did not build it. */
export function native(): NativeBinding {
  if (!cached) {
    const file = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'agent_native.node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require(file) as NativeBinding;
  }
  return cached;
}
