// Two connected unix stream sockets (a real kernel connection, not an in-memory pipe).
import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function unixSocketPair(): Promise<[net.Socket, net.Socket]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pair-'));
  const server = net.createServer();
  server.listen(path.join(dir, 's'));
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(path.join(dir, 's'));
  await once(client, 'connect');
  const [peer] = await accepted;
  server.close();
  rmSync(dir, { recursive: true, force: true });
  return [client, peer];
}
