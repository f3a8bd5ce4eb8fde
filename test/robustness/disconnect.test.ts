// A host that drops its connection while a ReadStdout waits for output, then
// reconnects and reads on, must lose no byte: the agent may not hand output to
// a call nobody will receive. The container emits output only when told to
// (through stdin), so every drop happens while a read is waiting.
// test-file-timeout-ms: 300000 (its tests' and hooks' own timeouts; see scripts/test-inner.sh)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { Session } from '../../src/transport/yamux';
import { createContainer, readAll, startHarness, type Harness } from '../../tools/testkit/containers';
import { digestFrom, readToEnd, sha256 } from '../../tools/testkit/streams';

let h: Harness;
before(
  async () => {
    h = await startHarness({ runtime: 'crun' });
  },
  { timeout: 60_000 },
);
after(() => h?.stop(), { timeout: 60_000 });

// Each line "N" on stdin makes the container print N random bytes; everything
// printed also feeds sha256sum, whose digest goes to stderr at the end.
const ON_DEMAND = [
  'sh',
  '-c',
  'mkfifo /dev/sum && { sha256sum < /dev/sum >&2 & while read n; do head -c "$n" /dev/urandom; done | tee /dev/sum; wait; }',
];

/** Reads exactly `n` bytes through `client`. */
async function readExactly(client: AgentClient, id: string, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const { data } = await client.agent.readStdout(
      { container_id: id, exec_id: id, len: n - got },
      { timeoutMs: 10_000 },
    );
    chunks.push(data);
    got += data.length;
  }
  return Buffer.concat(chunks);
}

type Transport = 'unix socket' | 'yamux';

/** A client on a connection of its own, and a way to make that connection vanish without a goodbye. */
async function connect(transport: Transport): Promise<{ client: AgentClient; vanish(): void }> {
  const conn = await connectUnix(h.t.socket);
  if (transport === 'unix socket') return { client: new AgentClient(conn), vanish: () => conn.destroy() };
  // The agent tells a yamux session from HTTP/2 by its first bytes.
  const session = new Session(conn, { role: 'client' });
  return { client: new AgentClient(session.openStream()), vanish: () => conn.destroy() };
}

async function dropWhileReading(transport: Transport, id: string): Promise<void> {
  const doomed = await connect(transport);
  const pending = doomed.client.agent.readStdout({ container_id: id, exec_id: id, len: 32 * 1024 });
  // Give the request time to reach the agent and wait there (best effort: if it
  // has not arrived yet, this round simply tests less).
  await new Promise((r) => setTimeout(r, 20));
  doomed.vanish();
  await pending.then(
    (r) => assert.fail(`a read on a dropped connection returned ${r.data.length} bytes`),
    () => undefined,
  );
}

for (const transport of ['unix socket', 'yamux'] as const) {
  test(
    `a client dropped mid-ReadStdout loses no byte to the next reader (${transport})`,
    { timeout: 120_000 },
    async () => {
      const id = `ondemand-${transport === 'yamux' ? 'yamux' : 'unix'}`;
      // The reader that stays: on the same transport as the ones that vanish.
      const { client: reader, vanish: closeReader } = await connect(transport);
      await createContainer(h, id, ON_DEMAND);
      await h.c.agent.startContainer({ container_id: id });
      const received: Buffer[] = [];
      for (let round = 0; round < 20; round++) {
        await dropWhileReading(transport, id);
        const n = randomInt(1, 200_000);
        await h.c.agent.writeStdin({ container_id: id, exec_id: id, data: Buffer.from(`${n}\n`) });
        received.push(await readExactly(reader, id, n));
      }
      await h.c.agent.closeStdin({ container_id: id, exec_id: id });
      const [rest, err, { status }] = await Promise.all([
        readToEnd(reader, id, id, 'stdout', { len: 32 * 1024, keep: true }),
        readAll(h, id, id, 'stderr'),
        h.c.agent.waitProcess({ container_id: id, exec_id: id }),
      ]);
      assert.equal(status, 0, err);
      assert.equal(rest.bytes, 0, 'output nobody asked for');
      assert.equal(
        sha256(Buffer.concat(received)),
        digestFrom(err),
        'bytes were lost or altered across dropped reads',
      );
      await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
      closeReader();
    },
  );
}
