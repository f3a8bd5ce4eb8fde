// The vsock channel: an AF_VSOCK listener (port 1024 by convention), every
// accepted connection one client. Node cannot create AF_VSOCK sockets, so the
// addon does and the net.Server adopts the listening fd.
import net from 'node:net';
import { once } from 'node:events';
import { native } from '../native/index';
import { adoptListener } from '../native/adopt';
import { stopListening, type Listener } from './unix';

export const VSOCK_CID_ANY = 0xffffffff;

/** A net.Server accepting on vsock (cid, port). */
export async function createVsockServer(
  port: number,
  onConnection: (socket: net.Socket) => void,
  cid = VSOCK_CID_ANY,
  backlog = 128,
): Promise<net.Server> {
  const fd = native().vsockListen(cid, port, backlog);
  const server = net.createServer(onConnection);
  adoptListener(server, fd);
  await once(server, 'listening');
  return server;
}

/** Listens on vsock (cid, port) and hands each accepted connection to `onConnection`. */
export async function listenVsock(
  port: number,
  onConnection: (socket: net.Socket) => void,
  cid = VSOCK_CID_ANY,
  backlog = 128,
): Promise<Listener> {
  const server = await createVsockServer(port, onConnection, cid, backlog);
  return {
    address: `vsock://${cid === VSOCK_CID_ANY ? 'any' : cid}:${port}`,
    close: () => stopListening(server),
  };
}
