// The metrics endpoint on a vsock port: opened, released on shutdown, and a port
// that is taken leaves the agent serving without it. (This machine has no vsock
// loopback, so scrapes over vsock are left to the VM end-to-end.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAgent } from '../../tools/testkit/agent';
import { native } from '../../src/native/index';

const VMADDR_CID_ANY = 0xffffffff;
const available = native().vsockAvailable();

function freePort(): number {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      native().close(native().vsockListen(VMADDR_CID_ANY, port, 1));
      return port;
    } catch {
      // Taken: try another.
    }
  }
  throw new Error('no free vsock port');
}

test(
  'metrics on a vsock port: listening while the agent runs, released after',
  { skip: !available && 'no AF_VSOCK here' },
  async () => {
    const port = freePort();
    const first = await startTestAgent({ metricsVport: port });
    try {
      assert.deepEqual(
        first.agent.metrics?.listeners.map((l) => l.address),
        [`vsock://any:${port}`],
      );
      // A second agent cannot have the port: it logs that and serves RPCs all the same.
      const second = await startTestAgent({ metricsVport: port });
      try {
        assert.deepEqual(second.agent.metrics?.listeners, []);
        const c = await second.client();
        await c.health.check({ service: '' });
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
    native().close(native().vsockListen(VMADDR_CID_ANY, port, 1));
  },
);
