// Development and test channel: a unix stream socket, one gRPC connection per accept.
import net from 'node:net';
import { rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';

export interface Listener {
  /** Human-readable address for logs. */
  readonly address: string;
  /** Stops accepting; connections already accepted belong to whoever serves them. */
  close(): Promise<void>;
}

/** Stops `server` listening without waiting for its connections to end (net.Server#close would). */
export function stopListening(server: net.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.close();
  return new Promise((resolve) => setImmediate(resolve));
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
    close: async () => {
      rmSync(path, { force: true });
      await stopListening(server);
    },
  };
}
