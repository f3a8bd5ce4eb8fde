import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/logging/logger';
import { OomQueue } from '../../src/cgroups/oom';

const log = createLogger({ level: 'silent' }).logger;

test('OOM events are queued in order, one per call, none lost', async () => {
  const q = new OomQueue(log);
  q.push('a');
  q.push('b');
  assert.equal(await q.next(), 'a');
  assert.equal(await q.next(), 'b');
  const waiting = q.next();
  q.push('c');
  q.push('d');
  assert.equal(await waiting, 'c');
  assert.equal(await q.next(), 'd');
  assert.equal(q.queued, 0);
});

test('a cancelled GetOOMEvent leaves the event for the next caller', async () => {
  const q = new OomQueue(log);
  let cancel: (() => void) | undefined;
  const first = q.next((fn) => {
    cancel = fn;
    return () => undefined;
  });
  cancel!();
  await assert.rejects(first, /cancelled/);
  q.push('x');
  assert.equal(await q.next(), 'x');
});
