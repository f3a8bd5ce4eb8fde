import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './wait-for';

test('waitFor resolves once a sync or async condition holds', async () => {
  let checks = 0;
  await waitFor(() => ++checks >= 3, { intervalMs: 1 });
  assert.equal(checks, 3);
  let asyncChecks = 0;
  await waitFor(async () => ++asyncChecks >= 2, { intervalMs: 1 });
  assert.equal(asyncChecks, 2);
});

test('waitFor rejects past its bound with a message naming what was awaited', async () => {
  const started = Date.now();
  await assert.rejects(
    waitFor(() => false, { timeoutMs: 50, intervalMs: 5, what: 'the moon' }),
    /timed out after 50 ms waiting for the moon/,
  );
  assert.ok(Date.now() - started >= 50);
  let left = 3;
  await assert.rejects(
    waitFor(() => false, { timeoutMs: 10, what: () => `the rest (${left--} left)` }),
    /waiting for the rest \(3 left\)/,
  );
  // Without a name, the condition's own text says what it was.
  await assert.rejects(
    waitFor(() => 1 > 2, { timeoutMs: 10 }),
    /waiting for `\(\) => 1 > 2`/,
  );
});

test('waitFor passes on what the condition throws', async () => {
  await assert.rejects(
    waitFor(() => {
      throw new Error('the agent exited');
    }),
    /the agent exited/,
  );
});
