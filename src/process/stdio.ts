// stdio of one container process, one object per process as containerd's shim
// has it. A process without a terminal gets three real pipes (pipe2, optionally
// enlarged with F_SETPIPE_SZ); a terminal process gets the pty master the runtime
// sends over the console socket, with ONLCR set as 1.x did.
import { closeSync, constants, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { adoptedFd, adoptStream } from '../native/adopt';
import { native } from '../native';
import { failedPrecondition } from '../common/errors';
import { ConsoleSocket } from './console-socket';
import { InputStream } from './input-stream';
import { OutputStream } from './output-stream';

export interface ProcessIo {
  readonly terminal: boolean;
  readonly stdin: InputStream;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** TIOCSWINSZ; FAILED_PRECONDITION without a terminal. */
  resize(rows: number, columns: number): void;
  /**
   * The process has exited. Pipes end by themselves once every writer is gone; a pty
   * may be held open by a surviving grandchild, so its output ends once what the
   * kernel already holds has been read.
   */
  processExited(): void;
  /** Closes everything at once (container removal). */
  destroy(): void;
  /** A terminal keeps the process's side of the pty open until its output is read. */
  holdSlave?(pid: number): void;
}

interface StdioOptions {
  terminal: boolean;
  /** F_SETPIPE_SZ for stdout/stderr; 0 keeps the kernel default. */
  pipeSize: number;
  /** Where the console socket goes (a short path: unix socket names are limited). */
  consoleSocketPath: string;
}

/** stdio being set up around one runtime call (create or exec). */
interface PendingStdio {
  /** The runtime child's fds 0, 1 and 2. */
  readonly childFds: readonly [number | 'ignore', number | 'ignore', number | 'ignore'];
  readonly consoleSocket?: string;
  /** After the runtime call succeeded: our side of the process's stdio. */
  complete(): Promise<ProcessIo>;
  /** After a failed runtime call: releases everything. */
  abort(): void;
}

export async function prepareStdio(options: StdioOptions): Promise<PendingStdio> {
  return options.terminal ? prepareTerminal(options.consoleSocketPath) : preparePipes(options.pipeSize);
}

function preparePipes(pipeSize: number): PendingStdio {
  const n = native();
  const opened: number[] = [];
  try {
    const [stdinRead, stdinWrite] = n.pipe(false, false);
    opened.push(stdinRead, stdinWrite);
    const [stdoutRead, stdoutWrite] = n.pipe(false, false);
    opened.push(stdoutRead, stdoutWrite);
    const [stderrRead, stderrWrite] = n.pipe(false, false);
    opened.push(stderrRead, stderrWrite);
    if (pipeSize > 0) {
      n.setPipeSize(stdoutWrite, pipeSize);
      n.setPipeSize(stderrWrite, pipeSize);
    }
    const childFds = [stdinRead, stdoutWrite, stderrWrite] as const;
    const ours = [stdinWrite, stdoutRead, stderrRead];
    const closeChildEnds = (): void => childFds.forEach((fd) => n.close(fd));
    return {
      childFds,
      async complete() {
        closeChildEnds();
        const stdin = new net.Socket({ fd: stdinWrite, readable: false, writable: true });
        const stdout = new net.Socket({ fd: stdoutRead, readable: true, writable: false });
        const stderr = new net.Socket({ fd: stderrRead, readable: true, writable: false });
        return new PipeIo(new InputStream(stdin), new OutputStream(stdout), new OutputStream(stderr));
      },
      abort() {
        closeChildEnds();
        ours.forEach((fd) => n.close(fd));
      },
    };
  } catch (err) {
    opened.forEach((fd) => n.close(fd));
    throw err;
  }
}

class PipeIo implements ProcessIo {
  readonly terminal = false;
  constructor(
    readonly stdin: InputStream,
    readonly stdout: OutputStream,
    readonly stderr: OutputStream,
  ) {}

  resize(): void {
    throw failedPrecondition('Terminal is not set, impossible to resize it');
  }

  processExited(): void {
    // Pipes reach end of stream when the last writer (maybe a grandchild) closes.
  }

  destroy(): void {
    this.stdin.destroy();
    this.stdout.end();
    this.stderr.end();
  }
}

async function prepareTerminal(socketPath: string): Promise<PendingStdio> {
  const consoleSocket = await ConsoleSocket.listen(socketPath);
  return {
    childFds: ['ignore', 'ignore', 'ignore'],
    consoleSocket: path.resolve(socketPath),
    async complete() {
      const master = await consoleSocket.receive();
      const n = native();
      try {
        n.setOnlcr(master, true);
      } catch (err) {
        n.close(master);
        throw err;
      }
      // Adopted non-blocking: writes never block the event loop.
      return new TerminalIo(adoptStream(master));
    },
    abort() {
      consoleSocket.close('the runtime call failed');
    },
  };
}

// After the process exits: how long the pty must stay quiet before our slave
// reference goes (everything written has then been read), and before the output
// is ended although someone else (a grandchild) still holds the slave.
const PTY_DRAIN_MS = 50;
const PTY_ORPHAN_MS = 200;

class TerminalIo implements ProcessIo {
  readonly terminal = true;
  private timer: NodeJS.Timeout | undefined;
  private slave: number | undefined;
  private exited = false;
  readonly stdin: InputStream;
  readonly stdout: OutputStream;
  // A terminal has one output stream; stderr is merged into it by the kernel.
  readonly stderr = new OutputStream(undefined);

  constructor(private readonly socket: net.Socket) {
    this.stdin = new InputStream(socket, false);
    this.stdout = new OutputStream(socket);
    socket.once('close', () => this.releaseSlave());
  }

  /**
   * Holds the process's slave side (its fd 0) open: when the last slave fd closes,
   * the kernel may drop output the master has not read yet. Released once the
   * process has exited and the pty has gone quiet.
   */
  holdSlave(pid: number): void {
    if (this.exited || this.slave !== undefined) return;
    try {
      this.slave = openSync(`/proc/${pid}/fd/0`, constants.O_RDWR | constants.O_NOCTTY);
    } catch {
      // Already gone: nothing left to protect.
    }
  }

  resize(rows: number, columns: number): void {
    const fd = adoptedFd(this.socket);
    if (fd !== undefined) native().setWindowSize(fd, rows & 0xffff, columns & 0xffff);
  }

  processExited(): void {
    if (this.exited) return;
    this.exited = true;
    if (this.socket.destroyed) return;
    // Each chunk restarts the wait: first drain, then drop our slave (the pty ends with
    // EIO once no one else holds it), then end anyway for a surviving grandchild.
    const restart = (): void => {
      clearTimeout(this.timer);
      if (this.slave !== undefined) {
        this.timer = setTimeout(() => {
          this.releaseSlave();
          restart();
        }, PTY_DRAIN_MS);
      } else {
        this.timer = setTimeout(() => this.stdout.end(), PTY_ORPHAN_MS);
      }
    };
    this.socket.on('data', restart);
    this.socket.once('close', () => clearTimeout(this.timer));
    restart();
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.releaseSlave();
    this.stdout.end();
    this.socket.destroy();
  }

  private releaseSlave(): void {
    if (this.slave === undefined) return;
    closeSync(this.slave);
    this.slave = undefined;
  }
}
