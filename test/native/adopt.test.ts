import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { native } from '../../src/native/index';
import { adoptedFd, adoptListener, adoptStream } from '../../src/native/adopt';
import { fdFlags, openFdCount, within } from '../helpers/native';

const n = native();
const { O_NONBLOCK, VMADDR_CID_ANY, VMADDR_CID_LOCAL } = n.constants;

function collect(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

test('a pipe read end becomes a readable stream that ends with the writer', async () => {
  const before = openFdCount();
  const [r, w] = n.pipe(false, false);
  const socket = adoptStream(r);
  const fd = adoptedFd(socket);
  assert.ok(fd !== undefined);
  assert.equal(fdFlags(fd) & O_NONBLOCK, O_NONBLOCK, 'made non-blocking');
  const text = collect(socket);
  n.write(w, Buffer.from('one '));
  n.write(w, Buffer.from('two'));
  n.close(w);
  assert.equal(await within(5000, 'end of stream', text), 'one two');
  socket.destroy();
  await once(socket, 'close');
  assert.equal(adoptedFd(socket), undefined);
  assert.equal(openFdCount(), before, 'placeholder and pipe ends all closed');
});

test('an adopted listener accepts connections (an AF_UNIX listener standing in for vsock)', async () => {
  // An abstract name: closing `original` must not unlink what the adopted listener serves.
  const name = `\0kata-agent-adopt-${process.pid}-${Date.now()}`;
  const original = net.createServer();
  const adopted = net.createServer((conn) => conn.end('hello from the adopted listener'));
  try {
    original.listen(name);
    await once(original, 'listening');
    // Take the listening socket away from `original` under a number of our own.
    const listening = (original as unknown as { _handle: { fd: number } })._handle.fd;
    const copy = n.unixPlaceholder();
    n.dup3(listening, copy);
    original.close();
    adoptListener(adopted, copy);
    await once(adopted, 'listening');
    const client = net.connect(name);
    assert.equal(await within(5000, 'a reply', collect(client)), 'hello from the adopted listener');
  } finally {
    adopted.close();
  }
});

test(
  'a vsock listener is adopted by a net.Server and released by close()',
  { skip: !n.vsockAvailable() && 'no AF_VSOCK here' },
  async () => {
    const port = 30000 + Math.floor(Math.random() * 30000);
    const server = net.createServer((conn) => conn.end('over vsock'));
    adoptListener(server, n.vsockListen(VMADDR_CID_ANY, port, 16));
    await once(server, 'listening');
    assert.throws(() => n.vsockListen(VMADDR_CID_ANY, port, 16), { code: 'EADDRINUSE' });
    server.close();
    await once(server, 'close');
    n.close(n.vsockListen(VMADDR_CID_ANY, port, 16)); // the port is free again
  },
);

// Needs the vsock_loopback transport (CID 1), which this kind of machine lacks;
// the VM tests cover vsock connections end to end.
test(
  'vsock round trip over the loopback transport',
  {
    skip:
      !n.vsockAvailable() || !existsSync('/sys/module/vsock_loopback')
        ? 'no vsock loopback transport'
        : false,
  },
  async () => {
    const port = 30000 + Math.floor(Math.random() * 30000);
    const server = net.createServer((conn) => conn.pipe(conn));
    adoptListener(server, n.vsockListen(VMADDR_CID_ANY, port, 16));
    await once(server, 'listening');
    try {
      const client = adoptStream(n.vsockConnect(VMADDR_CID_LOCAL, port));
      const echoed = collect(client);
      client.end('ping');
      assert.equal(await within(5000, 'the echo', echoed), 'ping');
    } finally {
      server.close();
    }
  },
);
