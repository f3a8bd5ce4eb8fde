import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { native, POLL_DISCONNECT, POLL_READABLE, POLL_WRITABLE } from '../../src/native/index';
import { assertErrno, openFdCount, within } from '../helpers/native';

const n = native();

test('a pipe read end reports readable; close inside the callback stops further calls', async () => {
  const [r, w] = n.pipe(true, true);
  const [r2, w2] = n.pipe(true, true);
  try {
    let calls = 0;
    const first = new Promise<number>((resolve) => {
      const h = n.poll(r, POLL_READABLE, (err, events) => {
        calls++;
        assert.equal(err, null);
        h.close();
        h.close(); // idempotent
        resolve(events);
      });
    });
    n.write(w, Buffer.from('x'));
    assert.equal(await within(5000, 'readable', first), POLL_READABLE);
    // Still readable: a watch that was not really stopped would fire in the same
    // poll phase as this second one.
    const second = new Promise<void>((resolve) => {
      const h2 = n.poll(r2, POLL_READABLE, () => {
        h2.close();
        setImmediate(resolve);
      });
    });
    n.write(w2, Buffer.from('y'));
    await within(5000, 'second watch', second);
    assert.equal(calls, 1);
  } finally {
    [r, w, r2, w2].forEach((fd) => n.close(fd));
  }
});

test('an empty pipe write end reports writable', async () => {
  const [r, w] = n.pipe(true, true);
  try {
    const events = await within(
      5000,
      'writable',
      new Promise<number>((resolve) => {
        const h = n.poll(w, POLL_WRITABLE, (_err, ev) => {
          h.close();
          resolve(ev);
        });
      }),
    );
    assert.equal(events, POLL_WRITABLE);
  } finally {
    n.close(r);
    n.close(w);
  }
});

test('a socket whose peer closed reports disconnect', async () => {
  const [a, b] = n.socketPair();
  try {
    const seen = new Promise<number>((resolve) => {
      const h = n.poll(a, POLL_READABLE | POLL_DISCONNECT, (_err, ev) => {
        h.close();
        resolve(ev);
      });
    });
    n.close(b);
    const events = await within(5000, 'disconnect', seen);
    assert.equal(events & POLL_DISCONNECT, POLL_DISCONNECT);
  } finally {
    n.close(a);
  }
});

test('watches opened and closed many times leak no descriptor', async () => {
  const before = openFdCount();
  for (let i = 0; i < 200; i++) {
    const [r, w] = n.pipe(true, true);
    const fired = new Promise<void>((resolve) => {
      const h = n.poll(r, POLL_READABLE, () => {
        h.close();
        resolve();
      });
    });
    n.write(w, Buffer.from('x'));
    await within(5000, 'readable', fired);
    n.close(r);
    n.close(w);
  }
  assert.equal(openFdCount(), before);
});

test('poll refuses bad arguments, a second watch on one fd and regular files', () => {
  const [r, w] = n.pipe(true, true);
  const file = openSync(__filename, 'r');
  try {
    assert.throws(() => n.poll(r, 0, () => {}), RangeError);
    assert.throws(() => n.poll(r, 16, () => {}), RangeError);
    assert.throws(() => n.poll(r, POLL_READABLE, 'f' as unknown as () => void), TypeError);
    const h = n.poll(r, POLL_READABLE, () => {});
    try {
      assertErrno(() => n.poll(r, POLL_READABLE, () => {}), 'EEXIST', 'uv_poll_init');
    } finally {
      h.close();
    }
    assertErrno(() => n.poll(file, POLL_READABLE, () => {}), 'EPERM', 'uv_poll_init');
    const closed = n.poll(w, POLL_WRITABLE, () => {});
    closed.close();
    closed.ref(); // no effect once closed
    const detached = closed.close;
    assert.throws(() => detached(), TypeError);
  } finally {
    closeSync(file);
    n.close(r);
    n.close(w);
  }
});

// These need a process of their own: whether the loop stays alive, and an
// exception thrown by the callback.
const addon = path.join(__dirname, '..', '..', 'src', 'native', 'index.js');

test('an unref-ed watch does not keep the process alive; ref does', () => {
  const script = `
    const n = require(${JSON.stringify(addon)}).native();
    const [r] = n.pipe(true, true);
    const h = n.poll(r, 1, () => {});
    h.unref();
    if (process.argv[1] === 'ref') { h.ref(); setTimeout(() => { h.close(); console.log('closed'); }, 50); }`;
  assert.equal(execFileSync(process.execPath, ['-e', script], { timeout: 10000 }).toString(), '');
  assert.equal(
    execFileSync(process.execPath, ['-e', script, 'ref'], { timeout: 10000 }).toString(),
    'closed\n',
  );
});

test('an exception in the callback reaches uncaughtException', () => {
  const script = `
    const n = require(${JSON.stringify(addon)}).native();
    const [r, w] = n.pipe(true, true);
    process.on('uncaughtException', (e) => { console.log('caught ' + e.message); process.exit(0); });
    const h = n.poll(r, 1, () => { h.close(); throw new Error('boom'); });
    n.write(w, Buffer.from('x'));`;
  assert.equal(
    execFileSync(process.execPath, ['-e', script], { timeout: 10000 }).toString(),
    'caught boom\n',
  );
});
