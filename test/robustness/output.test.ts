// Output integrity through ReadStdout: 64 MiB of random bytes arrive with the
// sha256 the container computed, at varying read sizes; and output written in
// the last moment before a process exits is all there for a host that waits
// first and reads afterwards. (npm run soak pushes 1 GiB.)
// test-file-timeout-ms: 360000 (its tests' and hooks' own timeouts; see scripts/test-inner.sh)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createContainer, exec, readAll, startHarness, type Harness } from '../../tools/testkit/containers';
import { digestFrom, randomOutputCommand, readToEnd } from '../../tools/testkit/streams';

let h: Harness;
before(
  async () => {
    h = await startHarness({ runtime: 'crun' });
  },
  { timeout: 60_000 },
);
after(() => h?.stop(), { timeout: 60_000 });

const MiB = 1024 * 1024;
// Mostly 32 KiB, with odd sizes to catch boundary slips.
const LENS = [32 * 1024, 32 * 1024, 32 * 1024, 1, 4093, MiB, 65536, 32 * 1024 + 1];

test(
  '64 MiB of random output arrives intact (sha256 computed in the container)',
  { timeout: 120_000 },
  async () => {
    const id = 'integrity';
    await createContainer(h, id, randomOutputCommand(64 * MiB));
    await h.c.agent.startContainer({ container_id: id });
    const [out, err, { status }] = await Promise.all([
      readToEnd(h.c, id, id, 'stdout', { len: (i) => LENS[i % LENS.length], timeoutMs: 30_000 }),
      readAll(h, id, id, 'stderr'),
      h.c.agent.waitProcess({ container_id: id, exec_id: id }),
    ]);
    assert.equal(status, 0, `container failed: ${err}`);
    assert.equal(out.bytes, 64 * MiB);
    assert.equal(out.sha256, digestFrom(err));
    await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
  },
);

/** `seq 1 n` exactly as the container prints it. */
function seqText(n: number): string {
  let s = '';
  for (let i = 1; i <= n; i++) s += `${i}\n`;
  return s;
}

test('output written just before exit is fully read after WaitProcess', { timeout: 120_000 }, async () => {
  // Sizes below and above a pipe's capacity (64 KiB), all within what the agent
  // buffers (past that, back-pressure rightly holds the writer until a read).
  const counts = [1, 1000, 12_000, 100_000];
  const id = 'lastms';
  await createContainer(h, id, ['sleep', '1000']);
  await h.c.agent.startContainer({ container_id: id });
  let round = 0;
  for (const n of counts) {
    for (let i = 0; i < 5; i++) {
      const execId = `e${round++}`;
      // Both streams get their last bytes in the instant before exit.
      await exec(h, id, execId, ['sh', '-c', `seq 1 ${n}; seq 1 ${n} >&2; exit 7`]);
      const { status } = await h.c.agent.waitProcess(
        { container_id: id, exec_id: execId },
        { timeoutMs: 20_000 },
      );
      assert.equal(status, 7);
      const [out, err] = await Promise.all([
        readToEnd(h.c, id, execId, 'stdout', { len: 32 * 1024, keep: true }),
        readToEnd(h.c, id, execId, 'stderr', { len: 4096, keep: true }),
      ]);
      const expected = seqText(n);
      assert.equal(out.data!.toString(), expected, `stdout of seq 1 ${n} (exec ${execId})`);
      assert.equal(err.data!.toString(), expected, `stderr of seq 1 ${n} (exec ${execId})`);
    }
  }
  await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
});

test(
  'a container init that prints and exits at once loses nothing to an early wait',
  { timeout: 60_000 },
  async () => {
    for (let i = 0; i < 10; i++) {
      const id = `quick${i}`;
      await createContainer(h, id, ['sh', '-c', 'seq 1 5000; exit 3']);
      await h.c.agent.startContainer({ container_id: id });
      const { status } = await h.c.agent.waitProcess({ container_id: id, exec_id: id });
      assert.equal(status, 3);
      const out = await readToEnd(h.c, id, id, 'stdout', { len: 1000, keep: true });
      assert.equal(out.data!.toString(), seqText(5000));
      await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
    }
  },
);
