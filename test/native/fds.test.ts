import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { native } from '../../src/native/index';
import { assertErrno, fdFlags, hasCapability } from '../helpers/native';

const n = native();
const { O_NONBLOCK, O_CLOEXEC } = n.constants;
const CAP_SYS_RESOURCE = 24;

function withPipe(nonblockRead: boolean, nonblockWrite: boolean, body: (r: number, w: number) => void) {
  const [r, w] = n.pipe(nonblockRead, nonblockWrite);
  try {
    body(r, w);
  } finally {
    for (const fd of [r, w]) {
      try {
        n.close(fd);
      } catch {
        // already closed by the test
      }
    }
  }
}

test('pipe ends are close-on-exec and non-blocking only where asked', () => {
  withPipe(true, false, (r, w) => {
    assert.equal(fdFlags(r) & O_CLOEXEC, O_CLOEXEC);
    assert.equal(fdFlags(w) & O_CLOEXEC, O_CLOEXEC);
    assert.equal(fdFlags(r) & O_NONBLOCK, O_NONBLOCK);
    assert.equal(fdFlags(w) & O_NONBLOCK, 0);
  });
});

test('pipe capacity can be raised to pipe-max-size and is shared by both ends', () => {
  const max = Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));
  withPipe(true, true, (r, w) => {
    const initial = n.getPipeSize(r);
    assert.ok(initial >= 4096 && (initial & (initial - 1)) === 0, `default ${initial}`);
    assert.equal(n.setPipeSize(w, max), max);
    assert.equal(n.getPipeSize(r), max);
    // The kernel rounds up to a power-of-two number of pages.
    const granted = n.setPipeSize(w, 5000);
    assert.ok(granted >= 5000 && (granted & (granted - 1)) === 0, `granted ${granted}`);
    if (!hasCapability(CAP_SYS_RESOURCE)) assertErrno(() => n.setPipeSize(w, max * 2), 'EPERM', 'fcntl');
  });
});

test('F_SETPIPE_SZ on a socket fails with EBADF', () => {
  const [a, b] = n.socketPair();
  try {
    assertErrno(() => n.setPipeSize(a, 65536), 'EBADF', 'fcntl');
    assertErrno(() => n.getPipeSize(a), 'EBADF', 'fcntl');
  } finally {
    n.close(a);
    n.close(b);
  }
});

test('read and write: data, EAGAIN as null/-1, EOF as an empty buffer, EPIPE thrown', () => {
  withPipe(true, true, (r, w) => {
    assert.equal(n.read(r, 16), null);
    assert.equal(n.write(w, Buffer.from('hello')), 5);
    assert.equal(n.read(r, 16)?.toString(), 'hello');
    const page = n.setPipeSize(w, 4096);
    assert.equal(n.write(w, Buffer.alloc(3 * page)), page, 'a full pipe takes a partial write');
    assert.equal(n.write(w, Buffer.alloc(1)), -1);
    assert.equal(n.read(r, 2 * page)?.length, page);
    n.close(w);
    assert.deepEqual(n.read(r, 16), Buffer.alloc(0));
  });
  withPipe(true, true, (r, w) => {
    n.close(r);
    assertErrno(() => n.write(w, Buffer.from('x')), 'EPIPE', 'write');
  });
});

test('setNonBlocking and setCloexec toggle the flags', () => {
  withPipe(false, false, (r) => {
    n.setNonBlocking(r, true);
    assert.equal(fdFlags(r) & O_NONBLOCK, O_NONBLOCK);
    n.setNonBlocking(r, false);
    assert.equal(fdFlags(r) & O_NONBLOCK, 0);
    n.setCloexec(r, false);
    assert.equal(fdFlags(r) & O_CLOEXEC, 0);
    n.setCloexec(r, true);
    assert.equal(fdFlags(r) & O_CLOEXEC, O_CLOEXEC);
  });
});

test('dup3 makes the target number refer to the source file, close-on-exec', () => {
  withPipe(true, true, (r, w) => {
    const [a, b] = n.socketPair();
    n.close(b);
    n.setCloexec(r, false);
    n.dup3(r, a);
    assert.equal(fdFlags(a) & O_CLOEXEC, O_CLOEXEC);
    n.write(w, Buffer.from('via dup'));
    assert.equal(n.read(a, 16)?.toString(), 'via dup');
    n.close(a);
  });
  assertErrno(() => n.dup3(987654, 987655), 'EBADF', 'dup3');
});

test('close reports EBADF; bad arguments throw before any system call', () => {
  assertErrno(() => n.close(987654), 'EBADF', 'close');
  assert.throws(() => n.close(-1), RangeError);
  assert.throws(() => n.close(1.5), RangeError);
  assert.throws(() => n.close('3' as unknown as number), TypeError);
  assert.throws(() => (n.pipe as unknown as () => void)(), { code: 'ERR_MISSING_ARGS' });
  assert.throws(() => n.write(1, 'text' as unknown as Buffer), TypeError);
});
