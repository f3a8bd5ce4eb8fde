// The debug console. agent.debug_console runs a shell on the console device
// with the console as its controlling terminal, and starts it again whenever it
// exits; agent.debug_console_vport=<port> instead listens on that vsock port and
// gives every connection a shell of its own in a fresh pty (reachable through
// Firecracker's hybrid vsock too: the VMM handles "CONNECT <port>", we only
// listen). Nothing runs unless enabled.
//
// A controlling terminal must be acquired by the child itself (setsid, then
// TIOCSCTTY) between fork and exec, which Node cannot do: `setsid -c` from
// util-linux or busybox does exactly that.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { native } from '../native/index';
import { adoptStream } from '../native/adopt';
import { stopListening } from '../transport/unix';
import { errorText } from '../common/error-text';

const DEFAULT_SHELLS = ['/bin/bash', '/bin/sh'];
const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

interface DebugConsoleOptions {
  log: Logger;
  /** Run a shell on this terminal device, restarted when it exits (e.g. /dev/console). */
  consolePath?: string;
  /** Serve a shell in a pty to every connection of this server (vsock in a guest). */
  server?: net.Server;
  /** Candidates, first existing wins. */
  shells?: string[];
  env?: NodeJS.ProcessEnv;
  /** A shell that exits sooner than this after starting is restarted only after this long. */
  restartDelayMs?: number;
}

/** The first existing file among `candidates`. */
export function findShell(candidates: readonly string[]): string | undefined {
  return candidates.find((c) => fs.existsSync(c));
}

/** An executable by name, from PATH and the usual directories. */
function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const dir of dirs) {
    const full = path.join(dir, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class DebugConsole {
  private closing = false;
  private readonly children = new Set<ChildProcess>();
  private readonly connections = new Set<net.Socket>();
  private consoleLoop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly setsid: string | undefined;

  constructor(private readonly options: DebugConsoleOptions) {
    this.env = { TERM: 'vt100', ...(options.env ?? process.env) };
    this.setsid = findProgram('setsid', this.env);
    if (!this.setsid)
      options.log.warn('no setsid program: debug shells run without a controlling terminal (no job control)');
    if (options.consolePath) this.consoleLoop = this.runOnConsole(options.consolePath);
    options.server?.on('connection', (socket: net.Socket) => this.serve(socket));
  }

  /** Shells running now (console and connections). */
  get shellCount(): number {
    return this.children.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wakeLoop?.();
    if (this.options.server) await stopListening(this.options.server);
    for (const c of this.connections) c.destroy();
    const exits = [...this.children].map((c) => (c.exitCode === null ? once(c, 'exit') : undefined));
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.all(exits);
    await this.consoleLoop;
  }

  /** Starts the shell with `tty` (an open terminal fd) as stdio and controlling terminal. */
  private startShell(tty: number): ChildProcess | undefined {
    const shell = findShell(this.options.shells ?? DEFAULT_SHELLS);
    if (!shell) {
      this.options.log.error(
        { checked: (this.options.shells ?? DEFAULT_SHELLS).join(',') },
        'no shell for the debug console',
      );
      return undefined;
    }
    const [file, args] = this.setsid ? [this.setsid, ['-c', shell]] : [shell, ['-i']];
    const child = spawn(file, args, {
      stdio: [tty, tty, tty],
      env: this.env,
      cwd: '/',
      // Without setsid the shell at least gets a session (and no terminal) of its own.
      detached: !this.setsid,
    });
    child.on('error', (err) =>
      this.options.log.warn({ error: errorText(err) }, 'debug shell failed to start'),
    );
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  private async runOnConsole(device: string): Promise<void> {
    const log = this.options.log;
    const delay = this.options.restartDelayMs ?? 1000;
    let lastError = '';
    while (!this.closing) {
      const started = Date.now();
      let child: ChildProcess | undefined;
      try {
        const fd = fs.openSync(device, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
        try {
          child = this.startShell(fd);
        } finally {
          fs.closeSync(fd);
        }
      } catch (err) {
        const message = (err as Error).message;
        if (message !== lastError) log.warn({ device, error: message }, 'cannot open the debug console');
        lastError = message;
      }
      if (child) {
        lastError = '';
        log.info({ device, pid: child.pid }, 'debug console shell started');
        if (child.exitCode === null && child.signalCode === null) await once(child, 'close');
      }
      if (this.closing) break;
      // Restart at once, unless the shell keeps failing right away.
      if (Date.now() - started < delay) await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeLoop = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private serve(socket: net.Socket): void {
    const log = this.options.log;
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.on('error', () => socket.destroy());
    let child: ChildProcess | undefined;
    let master: net.Socket | undefined;
    try {
      const n = native();
      const pty = n.openPty();
      n.setWindowSize(pty.master, 24, 80);
      const slave = fs.openSync(pty.slaveName, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
      try {
        child = this.startShell(slave);
      } finally {
        fs.closeSync(slave);
      }
      master = adoptStream(pty.master);
    } catch (err) {
      log.warn({ error: errorText(err) }, 'cannot start a debug shell for a connection');
    }
    if (!child || !master) {
      this.connections.delete(socket);
      master?.destroy();
      socket.destroy();
      return;
    }
    const shell = child;
    const terminal = master;
    log.info({ pid: shell.pid }, 'debug console connection');
    socket.pipe(terminal);
    terminal.pipe(socket);
    // The master reports EIO once the shell (the last slave holder) is gone: the normal end.
    terminal.on('error', () => socket.end());
    terminal.on('close', () => socket.end());
    socket.on('close', () => {
      this.connections.delete(socket);
      terminal.destroy();
      // The hang-up reaches the shell through the pty too; this covers a shell ignoring it.
      if (shell.exitCode === null && shell.signalCode === null) shell.kill('SIGHUP');
    });
  }
}
