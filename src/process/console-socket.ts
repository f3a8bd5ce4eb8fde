// The runtime's --console-socket: a unix socket on which crun/runc send the pty
// master of a terminal process with SCM_RIGHTS. The connection is accepted paused,
// because if libuv read from it first the descriptor would be lost; the message is
// then taken with recvmsg from the addon.
import net from 'node:net';
import { rmSync } from 'node:fs';
import { native, POLL_READABLE, type PollHandle } from '../native';

export class ConsoleSocket {
  private readonly server: net.Server;
  private readonly master: Promise<number>;
  private settle!: { resolve: (fd: number) => void; reject: (err: Error) => void };
  private done = false;
  private poll: PollHandle | undefined;
  private connection: net.Socket | undefined;

  private constructor(readonly path: string) {
    this.master = new Promise<number>((resolve, reject) => (this.settle = { resolve, reject }));
    // A rejection nobody awaits (the runtime failed first) is not an error.
    this.master.catch(() => undefined);
    this.server = net.createServer({ pauseOnConnect: true }, (c) => this.accept(c));
  }

  static async listen(path: string): Promise<ConsoleSocket> {
    rmSync(path, { force: true });
    const cs = new ConsoleSocket(path);
    await new Promise<void>((resolve, reject) => {
      cs.server.once('error', reject);
      cs.server.listen(path, () => {
        cs.server.off('error', reject);
        // Later errors only matter to receive(), which the runtime's exit settles.
        cs.server.on('error', (err) => cs.finish(err));
        resolve();
      });
    });
    return cs;
  }

  /** The pty master fd (O_CLOEXEC), once the runtime sent it. */
  receive(): Promise<number> {
    return this.master;
  }

  /** Stops listening; a pending receive() fails with `reason`. */
  close(reason = 'console socket closed'): void {
    this.finish(new Error(reason));
  }

  private accept(c: net.Socket): void {
    if (this.done || this.connection) {
      c.destroy();
      return;
    }
    this.connection = c;
    c.on('error', (err) => this.finish(err));
    const fd = (c as unknown as { _handle: { fd: number } })._handle.fd;
    const tryReceive = (): boolean => {
      let msg;
      try {
        msg = native().recvWithFds(fd, 4096);
      } catch (err) {
        this.finish(err as Error);
        return true;
      }
      if (!msg) return false;
      const [master, ...extra] = msg.fds;
      for (const e of extra) native().close(e);
      if (master === undefined) this.finish(new Error('the runtime closed the console socket without a pty'));
      else this.finish(undefined, master);
      return true;
    };
    if (tryReceive()) return;
    this.poll = native().poll(fd, POLL_READABLE, (err) => {
      if (err) this.finish(err);
      else tryReceive();
    });
  }

  private finish(err: Error | undefined, master?: number): void {
    if (this.done) {
      if (master !== undefined) native().close(master);
      return;
    }
    this.done = true;
    this.poll?.close();
    this.connection?.destroy();
    this.server.close();
    rmSync(this.path, { force: true });
    if (err) this.settle.reject(err);
    else this.settle.resolve(master!);
  }
}
