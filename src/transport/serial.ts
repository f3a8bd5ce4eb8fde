// The virtio-serial channel (Kata 1.x's default): the host reaches the agent
// through the port named agent.channel.0 and multiplexes it with yamux, every
// stream one gRPC connection. The port exists whether or not the host side is
// connected: we open it, wait until it is writable (it reports HUP until the
// host connects), serve one yamux session, and when the host goes away we
// close the port, reopen it and wait again.
//
// For development and tests the path may also be a unix socket (what qemu's
// chardev offers on the host side): then "host connected" means our connect
// succeeded.
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logging/logger';
import { native, POLL_DISCONNECT, POLL_WRITABLE, type PollHandle } from '../native/index';
import { adoptStream } from '../native/adopt';
import { serveConnection, type ConnectionTarget } from './connection';
import type { Listener } from './unix';
import { Session, type SessionOptions } from './yamux';
import { errorText } from '../common/error-text';

interface SerialOptions {
  /** The port's device node (/dev/vport0p1), a pty or a unix socket. */
  path: string;
  target: ConnectionTarget;
  log: Logger;
  /** Pause between attempts to reach the host. */
  retryMs?: number;
  yamux?: Omit<SessionOptions, 'role' | 'log'>;
}

class Cancelled extends Error {}

export class SerialChannel implements Listener {
  readonly address: string;
  private closing = false;
  private session: Session | undefined;
  private cancelWait: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly retryMs: number;
  private sessions = 0;

  constructor(private readonly options: SerialOptions) {
    this.address = `serial://${options.path}`;
    this.retryMs = options.retryMs ?? 50;
    this.loop = this.run();
  }

  /** How many host connections have been served so far (for diagnostics and tests). */
  get sessionCount(): number {
    return this.sessions;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.cancelWait?.();
    this.session?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    const log = this.options.log;
    let lastError = '';
    while (!this.closing) {
      let conn: Duplex;
      try {
        conn = await this.connect();
      } catch (err) {
        if (this.closing) break;
        // One line per distinct failure, not one per retry.
        const message = (err as Error).message;
        if (message !== lastError)
          log.warn({ port: this.options.path, error: message }, 'serial port not usable');
        lastError = message;
        await this.pause();
        continue;
      }
      lastError = '';
      if (this.closing) {
        conn.destroy();
        break;
      }
      this.sessions++;
      log.info({ port: this.options.path }, 'host connected on the serial port');
      const session = new Session(conn, { ...this.options.yamux, role: 'server', log });
      this.session = session;
      session.on('stream', (stream) =>
        serveConnection(stream, this.options.target, { log, allowYamux: false, source: this.address }),
      );
      const [err] = (await once(session, 'close')) as [Error | undefined];
      this.session = undefined;
      if (!conn.destroyed) await once(conn, 'close');
      if (this.closing) break;
      log.info(
        { port: this.options.path, error: err && errorText(err) },
        'serial session ended, waiting for the host',
      );
      // A port that hangs up at once must not turn this loop into a busy one.
      await this.pause();
    }
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.retryMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.cancelWait = done;
    });
  }

  private async connect(): Promise<Duplex> {
    const stat = fs.statSync(this.options.path);
    if (stat.isSocket()) return this.connectSocket();
    const { O_RDWR, O_NONBLOCK, O_NOCTTY } = fs.constants;
    const fd = fs.openSync(this.options.path, O_RDWR | O_NONBLOCK | O_NOCTTY);
    try {
      await this.waitForHost(fd);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return adoptStream(fd);
  }

  private connectSocket(): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.options.path);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
      this.cancelWait = () => {
        socket.destroy();
        reject(new Cancelled('closing'));
      };
    });
  }

  /** Resolves once the port is writable: the host has connected. */
  private waitForHost(fd: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let handle: PollHandle | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: Error): void => {
        handle?.close();
        handle = undefined;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const watch = (): void => {
        handle = native().poll(fd, POLL_WRITABLE, (err, events) => {
          if (err) return finish(new Error(`serial port IO failure: ${err.message}`));
          if (events & POLL_WRITABLE) return finish();
          if (events & POLL_DISCONNECT) {
            // No host yet. The poll is level-triggered and would report the
            // hang-up again at once: look again a little later.
            handle?.close();
            handle = undefined;
            timer = setTimeout(watch, this.retryMs);
          }
        });
      };
      this.cancelWait = () => finish(new Cancelled('closing'));
      watch();
    });
  }
}

export function listenSerial(options: SerialOptions): Listener {
  return new SerialChannel(options);
}
