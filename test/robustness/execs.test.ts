// Many execs: 200 in a row leave no zombie, no fd and no memory behind; 100 at
// once, each with its own stdin and stdout, get exactly their own bytes back
// without stalling. (npm run soak runs 10,000 in a row.)
// test-file-timeout-ms: 420000 (its tests' and hooks' own timeouts; see scripts/test-inner.sh)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createContainer, exec, startHarness, type Harness } from '../../tools/testkit/containers';
import { childPids, describeFds, memoryKb, openFds, zombieChildren } from '../../tools/testkit/procfs';
import { readToEnd, sha256, writeAll } from '../../tools/testkit/streams';
import { waitFor } from '../helpers/wait-for';

let h: Harness;
before(
  async () => {
    h = await startHarness({ runtime: 'crun' });
    await createContainer(h, 'box', ['sleep', '100000']);
    await h.c.agent.startContainer({ container_id: 'box' });
  },
  { timeout: 60_000 },
);
after(() => h?.stop(), { timeout: 60_000 });

/** Runs `true` as an exec and does what a host does: wait, drain both streams. */
async function execTrue(execId: string): Promise<void> {
  await exec(h, 'box', execId, ['true']);
  const [{ status }] = await Promise.all([
    h.c.agent.waitProcess({ container_id: 'box', exec_id: execId }),
    readToEnd(h.c, 'box', execId, 'stdout', { len: 1024 }),
    readToEnd(h.c, 'box', execId, 'stderr', { len: 1024 }),
  ]);
  assert.equal(status, 0);
}

// Exit statuses and closes arrive as events inside the agent; give them a moment.
const SETTLE = { timeoutMs: 2000, intervalMs: 20 };

function noZombies(): Promise<void> {
  return waitFor(() => zombieChildren().length === 0, {
    ...SETTLE,
    what: () => `zombies left by execs to be reaped: ${zombieChildren().join(' ')}`,
  });
}

test('200 execs in a row: zero zombies, flat fd count', { timeout: 180_000 }, async (t) => {
  for (let i = 0; i < 20; i++) await execTrue(`warm${i}`);
  const fdsBeforeList = openFds();
  const fdsBefore = fdsBeforeList.length;
  const childrenBefore = childPids().length;
  const rssBefore = memoryKb().rss;
  for (let i = 0; i < 200; i++) await execTrue(`e${i}`);
  await noZombies();
  await waitFor(() => openFds().length <= fdsBefore, {
    ...SETTLE,
    what: () => {
      const grown = openFds().filter((f) => !fdsBeforeList.includes(f));
      return `fds to fall back from ${fdsBefore + grown.length} to ${fdsBefore}: ${describeFds(process.pid, grown.slice(0, 6)).join(', ')}`;
    },
  });
  assert.equal(childPids().length, childrenBefore, 'children left by execs');
  t.diagnostic(
    `RSS of the test process (agent inside) ${Math.round(rssBefore / 1024)} → ${Math.round(memoryKb().rss / 1024)} MiB`,
  );
});

test(
  '100 concurrent execs, each with its own stdin and stdout: no cross-talk, no stall',
  { timeout: 180_000 },
  async () => {
    const inputs = Array.from({ length: 100 }, (_, i) => randomBytes(16 * 1024 + i * 331));
    await Promise.all(
      inputs.map(async (input, i) => {
        const execId = `cat${i}`;
        await exec(h, 'box', execId, ['cat']);
        const [, out, { status }] = await Promise.all([
          writeAll(h.c, 'box', execId, input, 4096, 30_000).then(() =>
            h.c.agent.closeStdin({ container_id: 'box', exec_id: execId }),
          ),
          readToEnd(h.c, 'box', execId, 'stdout', { len: 8192, timeoutMs: 30_000 }),
          h.c.agent.waitProcess({ container_id: 'box', exec_id: execId }, { timeoutMs: 60_000 }),
        ]);
        assert.equal(status, 0, `exec ${execId}`);
        assert.equal(out.bytes, input.length, `exec ${execId}: byte count`);
        assert.equal(out.sha256, sha256(input), `exec ${execId}: content`);
      }),
    );
    await noZombies();
  },
);
