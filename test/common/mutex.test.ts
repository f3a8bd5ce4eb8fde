import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { KeyedMutex, Mutex } from '../../src/common/mutex';

test('a Mutex runs holders one at a time, in order, past failures', async () => {
  const lock = new Mutex();
  const events: string[] = [];
  const hold = (name: string, fail = false) =>
    lock.run(async () => {
      events.push(`${name} start`);
      await tick();
      events.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    });
  const results = await Promise.allSettled([hold('a'), hold('b', true), hold('c')]);
  assert.deepEqual(events, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  // A holder that throws before its first await does not stop the queue either.
  await assert.rejects(
    lock.run(() => {
      throw new Error('sync');
    }),
    /sync/,
  );
  assert.equal(await lock.run(async () => 'after'), 'after');
  let done = false;
  void lock.run(async () => {
    await tick();
    done = true;
  });
  await lock.idle();
  assert.equal(done, true, 'idle waits for the holder queued before it');
});

test('a KeyedMutex orders work per key and lets other keys run alongside', async () => {
  const locks = new KeyedMutex<string>();
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = locks.run('x', async () => {
    await gate;
    events.push('x1');
  });
  const second = locks.run('x', async () => {
    events.push('x2');
  });
  await locks.run('y', async () => {
    events.push('y');
  });
  assert.deepEqual(events, ['y'], 'y did not wait for x');
  await tick();
  assert.equal(locks.size, 1, "y's queue is gone, x's is not");
  let idle = false;
  const waiting = locks.idle('x').then(() => (idle = true));
  await tick();
  assert.equal(idle, false);
  release();
  await Promise.all([first, second, waiting, locks.allIdle()]);
  assert.deepEqual(events, ['y', 'x1', 'x2']);
  await tick();
  assert.equal(locks.size, 0, 'empty queues are dropped');
  await locks.idle('never-used');
});
