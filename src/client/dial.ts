// Agent addresses as 1.x clients write them, turned into connected streams:
//   unix:///path or /path            a unix socket
//   vsock://CID:PORT                 AF_VSOCK
//   hvsock:///path/to/uds:PORT       Firecracker/Cloud Hypervisor hybrid vsock ("CONNECT PORT\n" → "OK ...")
//   yamux+unix:///path               a virtio-serial port exposed as a unix socket by qemu,
//                                    multiplexed with yamux (one stream per client)
import net from 'node:net';
import type { Duplex } from 'node:stream';

type AgentAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'vsock'; cid: number; port: number }
  | { kind: 'hvsock'; path: string; port: number }
  | { kind: 'yamux-unix'; path: string };

function uint32(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff)
    throw new Error(`invalid ${what} ${JSON.stringify(text)}`);
  return Number(text);
}

export function parseAddress(address: string): AgentAddress {
  if (address.startsWith('/')) return { kind: 'unix', path: address };
  const m = /^([a-z+]+):\/\/(.*)$/.exec(address);
  if (!m) throw new Error(`invalid agent address ${JSON.stringify(address)}`);
  const [, scheme, rest] = m;
  switch (scheme) {
    case 'unix':
      if (!rest) throw new Error('invalid unix address: no path');
      return { kind: 'unix', path: rest };
    case 'yamux+unix':
      if (!rest) throw new Error('invalid yamux+unix address: no path');
      return { kind: 'yamux-unix', path: rest };
    case 'vsock': {
      const parts = rest.split(':');
      if (parts.length !== 2)
        throw new Error(`invalid vsock address ${JSON.stringify(address)}: want vsock://CID:PORT`);
      return { kind: 'vsock', cid: uint32(parts[0], 'vsock cid'), port: uint32(parts[1], 'vsock port') };
    }
    case 'hvsock': {
      const colon = rest.lastIndexOf(':');
      if (colon <= 0)
        throw new Error(`invalid hvsock address ${JSON.stringify(address)}: want hvsock://PATH:PORT`);
      return {
        kind: 'hvsock',
        path: rest.slice(0, colon),
        port: uint32(rest.slice(colon + 1), 'hvsock port'),
      };
    }
    default:
      throw new Error(`invalid scheme ${JSON.stringify(scheme)} in ${JSON.stringify(address)}`);
  }
}

export function connectUnix(path: string, timeoutMs = 15_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out connecting to ${path}`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Hybrid vsock: the VMM's unix socket forwards to guest port `port` after a one-line handshake. */
async function connectHybridVsock(path: string, port: number, timeoutMs = 10_000): Promise<net.Socket> {
  const socket = await connectUnix(path, timeoutMs);
  socket.write(`CONNECT ${port}\n`);
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('timeout waiting for hybrid vsock handshake')), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const nl = seen.indexOf(10);
      if (nl < 0) {
        if (seen.length > 256) fail(new Error('hybrid vsock handshake: answer too long'));
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      const line = seen.subarray(0, nl).toString();
      if (!line.startsWith('OK')) {
        fail(new Error(`hybrid vsock handshake failed: ${JSON.stringify(line)}`));
        return;
      }
      socket.pause();
      const rest = seen.subarray(nl + 1);
      if (rest.length) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** A dialer gives one connected stream per gRPC connection. */
export type Dialer = () => Promise<Duplex>;

type YamuxDialerFactory = (path: string) => Dialer;
let yamuxDialerFactory: YamuxDialerFactory | undefined;

/** The yamux transport registers itself here, keeping this module free of it. */
export function registerYamuxDialer(factory: YamuxDialerFactory): void {
  yamuxDialerFactory = factory;
}

export function dialer(address: AgentAddress): Dialer {
  switch (address.kind) {
    case 'unix':
      return () => connectUnix(address.path);
    case 'hvsock':
      return () => connectHybridVsock(address.path, address.port);
    case 'vsock':
      return async () => {
        const { native } = await import('../native/index');
        const { adoptStream } = await import('../native/adopt');
        return adoptStream(native().vsockConnect(address.cid, address.port));
      };
    case 'yamux-unix':
      if (!yamuxDialerFactory) throw new Error('yamux transport not loaded');
      return yamuxDialerFactory(address.path);
  }
}
