import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/logging/logger';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OomQueue, pollOomKills } from '../../src/cgroups/oom';

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

test('without eventfd the oom_kill counter is polled; kills before the watch do not count', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oom-'));
  const file = path.join(dir, 'memory.oom_control');
  writeFileSync(file, 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  let fired = 0;
  let wake: () => void = () => undefined;
  // The poll timer does not hold the event loop; this test must.
  const keepAlive = setInterval(() => undefined, 1000);
  const watch = pollOomKills(
    file,
    'oom_kill',
    () => {
      fired++;
      wake();
    },
    10,
  );
  try {
    const seen = new Promise<void>((r) => (wake = r));
    writeFileSync(file, 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n');
    await seen;
    assert.equal(fired, 1);
  } finally {
    watch.stop();
    clearInterval(keepAlive);
    rmSync(dir, { recursive: true, force: true });
  }
});
