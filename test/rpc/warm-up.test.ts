import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpWire } from '../../src/warm-up';

// What the start-up snapshot's build runs: it must complete the call and leave no
// handle open (node takes the snapshot once the event loop is empty).
test('the warm-up call is answered through yamux and HTTP/2, and leaves nothing open', async () => {
  const handles = (): number =>
    (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  const before = handles();
  const started = performance.now();
  await warmUpWire(5000);
  assert.ok(performance.now() - started < 5000);
  await new Promise((r) => setImmediate(r));
  assert.equal(handles(), before);
});
