// Node's net module only wraps fds that libuv recognises (AF_INET*, AF_UNIX).
// To serve vsock sockets, pty masters and char devices with ordinary streams we
// hand libuv an AF_UNIX placeholder and, before the event loop registers it with
// epoll (libuv does that lazily), dup3 the real fd over the placeholder's number.
import net from 'node:net';
import { native } from './index';

/** Wraps a connected stream fd (vsock, pty master, tty) in a net.Socket; takes ownership of `fd`. */
export function adoptStream(fd: number): net.Socket {
  const n = native();
  const [placeholder, peer] = n.socketPair();
  n.close(peer);
  const socket = new net.Socket({ fd: placeholder, readable: true, writable: true });
  n.dup3(fd, placeholder);
  n.close(fd);
  return socket;
}

/** Makes `server` accept on a listening fd (vsock); takes ownership of `fd`. */
export function adoptListener(server: net.Server, fd: number): void {
  const n = native();
  const placeholder = n.unixPlaceholder();
  server.listen({ fd: placeholder });
  n.dup3(fd, placeholder);
  n.close(fd);
}
