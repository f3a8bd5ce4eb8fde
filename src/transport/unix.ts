// Development and test channel: a unix stream socket, one gRPC connection per accept.
import net from 'node:net';
import { rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';

export interface Listener {
  /** Human-readable address for logs. */
  readonly address: string;
  close(): Promise<void>;
}

export async function listenUnix(path: string, onConnection: (c: Duplex) => void): Promise<Listener> {
  rmSync(path, { force: true });
  const server = net.createServer({ pauseOnConnect: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: `unix://${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}
