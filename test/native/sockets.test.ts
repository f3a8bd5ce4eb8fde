import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fstatSync, readFileSync } from 'node:fs';
import { native } from '../../src/native/index';
import { assertErrno, fdFlags } from '../helpers/native';

const n = native();
const { O_CLOEXEC, O_NONBLOCK, VMADDR_CID_ANY } = n.constants;

/** A vsock listener on a free port picked at random. */
function vsockListenAnywhere(cid: number): { fd: number; port: number } {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      return { fd: n.vsockListen(cid, port, 16), port };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

test(
  'vsock listeners bind to any CID, non-blocking and close-on-exec',
  { skip: !n.vsockAvailable() && 'no AF_VSOCK here' },
  () => {
    const { fd, port } = vsockListenAnywhere(-1);
    try {
      assert.equal(fdFlags(fd) & (O_CLOEXEC | O_NONBLOCK), O_CLOEXEC | O_NONBLOCK);
      // The port is taken, whichever spelling of "any CID" is used.
      assertErrno(() => n.vsockListen(VMADDR_CID_ANY, port, 16), 'EADDRINUSE', 'bind');
    } finally {
      n.close(fd);
    }
    // Closing released it.
    n.close(n.vsockListen(VMADDR_CID_ANY, port, 16));
  },
);

test('vsock arguments are checked before any system call', () => {
  assert.throws(() => n.vsockListen(-2, 1024, 1), RangeError);
  assert.throws(() => n.vsockListen(-1, 2 ** 32, 1), RangeError);
  assert.throws(() => n.vsockConnect(2, -1), RangeError);
  assert.equal(typeof n.vsockAvailable(), 'boolean');
});

test('SCM_RIGHTS: descriptors sent over a socket pair arrive as working close-on-exec fds', () => {
  const [a, b] = n.socketPair();
  const pipes = [n.pipe(true, true), n.pipe(true, true), n.pipe(true, true)];
  const received: number[] = [];
  try {
    n.setNonBlocking(b, true);
    assert.equal(n.recvWithFds(b, 64), null, 'nothing to read yet');
    assert.equal(
      n.sendWithFds(
        a,
        Buffer.from('fds'),
        pipes.map(([, w]) => w),
      ),
      3,
    );
    const msg = n.recvWithFds(b, 64);
    assert.ok(msg);
    assert.equal(msg.data.toString(), 'fds');
    assert.equal(msg.fds.length, 3);
    received.push(...msg.fds);
    msg.fds.forEach((fd, i) => {
      assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
      n.write(fd, Buffer.from(`pipe ${i}`));
      assert.equal(n.read(pipes[i][0], 16)?.toString(), `pipe ${i}`);
    });
    // A plain message carries no fds; the end of the stream is empty data.
    n.write(a, Buffer.from('plain'));
    assert.deepEqual(n.recvWithFds(b, 64), { data: Buffer.from('plain'), fds: [] });
    n.close(a);
    assert.deepEqual(n.recvWithFds(b, 64), { data: Buffer.alloc(0), fds: [] });
  } finally {
    for (const fd of [b, ...pipes.flat(), ...received]) n.close(fd);
  }
});

test('sendWithFds refuses empty data and a closed peer', () => {
  const [a, b] = n.socketPair();
  try {
    assert.throws(() => n.sendWithFds(a, Buffer.alloc(0), [b]), RangeError);
    assert.throws(() => n.sendWithFds(a, Buffer.from('x'), [-1]), RangeError);
    n.close(b);
    assertErrno(() => n.sendWithFds(a, Buffer.from('x'), []), 'EPIPE', 'sendmsg');
  } finally {
    n.close(a);
  }
  assertErrno(() => n.recvWithFds(987654, 16), 'EBADF', 'recvmsg');
});

test('unixPlaceholder is an AF_UNIX socket bound to an autobind abstract name', () => {
  const fd = n.unixPlaceholder();
  try {
    const inode = fstatSync(fd).ino;
    const entry = readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .find((fields) => fields[6] === String(inode));
    assert.ok(entry, 'the socket is listed');
    assert.match(entry[7] ?? '', /^@[0-9a-f]{5}$/);
    assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
  } finally {
    n.close(fd);
  }
});

test('setRecvBuffer works on sockets and reports ENOTSOCK on a pipe', () => {
  const [a, b] = n.socketPair();
  const [r, w] = n.pipe(false, false);
  try {
    n.setRecvBuffer(a, 1 << 20);
    assertErrno(() => n.setRecvBuffer(r, 4096), 'ENOTSOCK', 'setsockopt');
  } finally {
    [a, b, r, w].forEach((fd) => n.close(fd));
  }
});
