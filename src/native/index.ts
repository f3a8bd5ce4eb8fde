// The system calls Node.js does not offer, from our N-API addon (C sources in native/,
// built by node-gyp from binding.gyp during `npm ci`). Every function throws an Error
// whose message reads like "mount: EPERM (Operation not permitted)", with `code` (errno
// name), `errno` (positive number) and `syscall` set when the kernel refuses; a wrong
// argument type or range throws a TypeError/RangeError before any system call. File
// descriptors are plain numbers owned by the caller; all created fds are O_CLOEXEC (and
// O_NONBLOCK where noted). Calls are synchronous on the event loop's thread.
import { existsSync } from 'node:fs';
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
  /** Stop watching; the fd itself stays open. Idempotent, and safe inside the callback. */
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
  /** AF_VSOCK SOCK_STREAM, non-blocking, bound to (cid, port) and listening; cid -1 or 0xFFFFFFFF = any. */
  vsockListen(cid: number, port: number, backlog: number): number;
  /** AF_VSOCK SOCK_STREAM connected (blocking connect, then set non-blocking). */
  vsockConnect(cid: number, port: number): number;
  /** Whether the kernel offers AF_VSOCK (socket(AF_VSOCK) succeeds). */
  vsockAvailable(): boolean;
  /** AF_NETLINK SOCK_RAW (or DGRAM) non-blocking, bound with the given multicast groups; returns fd. */
  netlinkOpen(protocol: number, groups: number): number;
  /** sendto the kernel (pid 0); returns bytes sent. */
  netlinkSend(fd: number, data: Buffer): number;
  /**
   * One whole datagram, or null on EAGAIN. The datagram's length is peeked first, so it is
   * never truncated whatever `maxSize` says (kept as a size hint). ENOBUFS (the socket
   * overflowed and messages were lost) is thrown with code 'ENOBUFS'; the next call works.
   */
  netlinkRecv(fd: number, maxSize: number): Buffer | null;
  /** Sets SO_RCVBUFFORCE on a socket, falling back to SO_RCVBUF (capped by rmem_max). */
  setRecvBuffer(fd: number, bytes: number): void;
  /** socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC): placeholders for fd adoption. */
  socketPair(): [number, number];
  /** An AF_UNIX SOCK_STREAM socket bound to an autobind (abstract) address: a listener placeholder. */
  unixPlaceholder(): number;
  /** recvmsg with MSG_CMSG_CLOEXEC; null on EAGAIN; data empty at end of stream. */
  recvWithFds(fd: number, maxData: number): ReceivedMessage | null;
  /** sendmsg of `data` (not empty) with `fds` as SCM_RIGHTS; bytes sent, or -1 on EAGAIN. */
  sendWithFds(fd: number, data: Buffer, fds: number[]): number;

  // --- fds and pipes ---
  /** pipe2(O_CLOEXEC); flags may add O_NONBLOCK for either end: returns [readFd, writeFd]. */
  pipe(nonblockRead: boolean, nonblockWrite: boolean): [number, number];
  /** F_SETPIPE_SZ; returns the capacity the kernel granted. */
  setPipeSize(fd: number, bytes: number): number;
  getPipeSize(fd: number): number;
  setNonBlocking(fd: number, on: boolean): void;
  setCloexec(fd: number, on: boolean): void;
  /** dup3(oldFd, newFd, O_CLOEXEC): newFd now refers to oldFd's open file. */
  dup3(oldFd: number, newFd: number): void;
  close(fd: number): void;
  /**
   * Watch readiness with the event loop (uv_poll). events: non-empty POLL_* bit mask; the
   * callback gets the ready bits (or an error and 0). libuv makes `fd` non-blocking, allows
   * one watch per fd, and needs the watch closed before the fd is.
   */
  poll(fd: number, events: number, callback: (err: Error | null, events: number) => void): PollHandle;
  /** Writes `data`; returns bytes written or -1 on EAGAIN. */
  write(fd: number, data: Buffer): number;
  /** eventfd(0, EFD_CLOEXEC|EFD_NONBLOCK): a counter fd, e.g. for cgroup v1 event notifications. */
  eventfd(): number;
  /** Reads up to `max`; returns the bytes, null on EAGAIN, empty buffer at EOF. */
  read(fd: number, max: number): Buffer | null;
  /** posix_openpt(O_RDWR|O_NOCTTY|O_CLOEXEC) + grantpt + unlockpt: a blocking master and its slave's path. */
  openPty(): { master: number; slaveName: string };

  // --- processes ---
  /**
   * posix_spawn(p) of `file` (looked up in PATH without a '/') with `argv` and `env`
   * ("K=V"); `stdio` fds become 0, 1, 2 (-1: /dev/null). Signal mask empty, dispositions
   * default except SIGPIPE with `keepSigpipeIgnored`. Returns the pid; the caller reaps it.
   */
  spawn(
    file: string,
    argv: string[],
    env: string[],
    stdio: [number, number, number],
    keepSigpipeIgnored: boolean,
  ): number;
  setChildSubreaper(on: boolean): void;
  setDumpable(on: boolean): void;
  getDumpable(): boolean;
  /** waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT): a child that has exited, without reaping it; null when none (or no children). */
  waitPeek(): WaitStatus | null;
  /** waitpid(pid, WNOHANG): reaps that one child if it has exited; null while it runs; ECHILD is thrown. */
  waitPid(pid: number): WaitStatus | null;
  /** setrlimit(resource, soft, hard); -1 = RLIM_INFINITY. resource: constants.RLIMIT_*. */
  setRlimit(resource: number, soft: number, hard: number): void;

  // --- filesystem and system ---
  /** mount(2); an empty or null fstype/data passes NULL (bind mounts, remounts). flags: MS_* bits. */
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data: string | null,
  ): void;
  /** flags: MNT_* / UMOUNT_NOFOLLOW bits. */
  umount2(target: string, flags: number): void;
  sethostname(name: string): void;
  /** ioctl(TIOCSWINSZ). */
  setWindowSize(fd: number, rows: number, cols: number): void;
  /** tcgetattr/tcsetattr: turn ONLCR on or off on a tty (a pty master changes its slave's). */
  setOnlcr(fd: number, on: boolean): void;
  /** ioctl(RNDADDENTROPY) with entropy counted as 8 bits per byte. */
  addEntropy(fd: number, data: Buffer): void;
  /** ioctl(RNDRESEEDCRNG) (Linux >= 4.17). */
  reseedCrng(fd: number): void;
  /** sec >= 0 and 0 <= usec < 1e6, checked before the call. */
  settimeofday(sec: number, usec: number): void;
  sync(): void;
  /** malloc_trim(0): free heap memory back to the kernel; false where the C library lacks it. */
  trimMemory(): boolean;
  /** mallopt(M_MMAP_THRESHOLD): stops glibc moving large buffers onto the heap; false where unsupported. */
  fixMmapThreshold(bytes: number): boolean;
  /** sync(2) on libuv's thread pool: the event loop keeps serving meanwhile. */
  syncAsync(): Promise<void>;
  /** reboot(2) with one of constants.LINUX_REBOOT_CMD_*; returns only on failure or for CAD_ON/OFF. */
  reboot(cmd: number): void;
  /**
   * Linux constants from the build machine's headers, named as the C macros: MS_*, MNT_*,
   * UMOUNT_NOFOLLOW, RLIMIT_*, AF_UNIX/NETLINK/VSOCK, NETLINK_ROUTE/KOBJECT_UEVENT,
   * VMADDR_CID_ANY/HYPERVISOR/LOCAL/HOST, VMADDR_PORT_ANY, LINUX_REBOOT_CMD_POWER_OFF/RESTART/HALT,
   * O_NONBLOCK/CLOEXEC/NOCTTY, SIGCHLD/STOP/CONT/USR1/USR2. Frozen.
   */
  constants: Record<string, number>;
}

let cached: NativeBinding | undefined;

/**
 * Where the addon may be: beside the bundled agent (dist/guest, the image), else where
 * node-gyp built it. Started from a start-up snapshot, `__dirname` is where the snapshot
 * was built, so the snapshot's own directory comes first.
 */
function addonCandidates(execArgv: readonly string[] = process.execArgv): string[] {
  const dirs: string[] = [];
  const blobAt = execArgv.indexOf('--snapshot-blob');
  const blob =
    blobAt >= 0 ? execArgv[blobAt + 1] : execArgv.find((a) => a.startsWith('--snapshot-blob='))?.slice(16);
  if (blob) dirs.push(path.dirname(path.resolve(blob)));
  dirs.push(__dirname, path.join(__dirname, '..', '..', '..', 'build', 'Release'));
  return dirs.map((d) => path.join(d, 'agent_native.node'));
}

/** The addon, loaded once. Throws with a clear message when `npm ci` did not build it. */
export function native(): NativeBinding {
  if (!cached) {
    const candidates = addonCandidates();
    const file = candidates.find((f) => existsSync(f)) ?? candidates[candidates.length - 1];
    // dlopen, not require: a snapshot's require only knows node's own modules.
    const addon = { exports: {} as NativeBinding };
    process.dlopen(addon, file);
    cached = addon.exports;
  }
  return cached;
}
