// Node's net module only wraps fds that libuv recognises (AF_INET*, AF_UNIX).
// To serve vsock sockets, pty masters and char devices with ordinary streams we
// hand libuv an AF_UNIX placeholder and, before the event loop registers it with
// epoll (libuv does that lazily, on the next loop iteration), dup3 the real fd
// over the placeholder's number. Everything between the two steps must stay in
// one synchronous block.
import net from 'node:net';
import { native } from './index';

const adoptedFds = new WeakMap<net.Socket, number>();

/**
 * Wraps a stream fd (vsock connection, pty master, tty, pipe end) in a net.Socket; takes
 * ownership of `fd`, which is made non-blocking. A pty master ends with an EIO 'error'
 * once its slave side is closed: that is its normal end of stream.
 */
export function adoptStream(fd: number): net.Socket {
  const n = native();
  // libuv made the placeholder non-blocking; after dup3 the real file's own flags count.
  n.setNonBlocking(fd, true);
  const [placeholder, peer] = n.socketPair();
  n.close(peer);
  let socket: net.Socket;
  try {
    socket = new net.Socket({ fd: placeholder, readable: true, writable: true });
  } catch (err) {
    n.close(placeholder);
    throw err;
  }
  n.dup3(fd, placeholder);
  n.close(fd);
  adoptedFds.set(socket, placeholder);
  return socket;
}

/**
 * The descriptor now behind an adopted stream (for ioctls such as a pty resize), or
 * undefined once the socket is destroyed and the fd closed.
 */
export function adoptedFd(socket: net.Socket): number | undefined {
  return socket.destroyed ? undefined : adoptedFds.get(socket);
}

/** Makes `server` accept on a listening fd (vsock); takes ownership of `fd`. */
export function adoptListener(server: net.Server, fd: number): void {
  const n = native();
  n.setNonBlocking(fd, true);
  const placeholder = n.unixPlaceholder();
  try {
    server.listen({ fd: placeholder });
  } catch (err) {
    n.close(placeholder);
    throw err;
  }
  n.dup3(fd, placeholder);
  n.close(fd);
}
