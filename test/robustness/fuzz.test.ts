// Protocol fuzzing of every RPC against a confined agent process, half the
// connections HTTP/2 on the unix socket and half yamux streams on it (see
// tools/testkit/confined-agent.ts for why it cannot touch this machine).
// Invariants: the agent never crashes or drops a connection, every failure is
// a proper status (no JavaScript fault text), Health.Check still answers
// SERVING, and no child process or fd outlives the calls.
// The test suite runs one fixed seed so that its outcome is reproducible;
// `npm run fuzz` explores fresh seeds (FUZZ_SEED=random) for longer. FUZZ_SEED
// replays a run; FUZZ_BUDGET_MS changes its length.
// test-file-timeout-ms: 1800000 (its fuzzer's timeout follows FUZZ_BUDGET_MS, 2 minutes under npm run fuzz; see scripts/test-inner.sh)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthCheckResponse_ServingStatus } from '../../src/generated/health';
import type { AgentClient } from '../../src/client/agent-client';
import { startConfinedAgent } from '../../tools/testkit/confined-agent';
import { childPids, describeFds, memoryKb, openFds } from '../../tools/testkit/procfs';
import { ID_POOL } from '../../tools/testkit/arbitraries';
import { runFuzz, summarizeOutcomes, type Finding, type FuzzReport } from '../../tools/testkit/fuzz-run';
import { waitFor } from '../helpers/wait-for';

const FIXED_SEED = 20261128;
const SEED =
  process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? FIXED_SEED);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 20_000);

/** Removes whatever the valid requests managed to create, as a host would. */
async function cleanUp(client: AgentClient): Promise<void> {
  const quiet = (p: Promise<unknown>): Promise<unknown> => p.catch(() => undefined);
  for (const id of ID_POOL)
    await quiet(client.agent.removeContainer({ container_id: id, timeout: 5 }, { timeoutMs: 10_000 }));
  await quiet(client.agent.destroySandbox({}, { timeoutMs: 10_000 }));
}

const show = (list: Finding[]): string => JSON.stringify(list.slice(0, 5), null, 1);

test(`protocol fuzzer (seed ${SEED}, ${BUDGET_MS} ms)`, { timeout: BUDGET_MS + 60_000 }, async (t) => {
  // The artifact the image ships: the bundle, started from its snapshot.
  const agent = await startConfinedAgent({
    artifact: true,
    logLevel: 'debug',
    config: { hotplugTimeoutMs: 200 },
  });
  try {
    const control = await agent.client();
    assert.equal(
      (await control.health.check({ service: '' })).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
    const pid = agent.pid;
    const fuzz = (seed: number, budgetMs: number): Promise<FuzzReport> =>
      runFuzz((worker) => agent.client(worker % 2 ? 'yamux' : 'unix'), {
        seed,
        budgetMs,
        concurrency: 8,
        callTimeoutMs: 1500,
        dropEvery: 97,
      });
    // A short first pass lets modules open what they keep for good (a netlink
    // socket, a uevent listener); leaks are what grows after it.
    const warmUp = await fuzz(SEED ^ 0x5a5a5a5a, Math.min(3000, BUDGET_MS / 4));
    await cleanUp(control);
    const fdsBefore = openFds(pid);
    const childrenBefore = childPids(pid);
    const rssBefore = memoryKb(pid).rss;

    const report = await fuzz(SEED, BUDGET_MS);
    report.unavailable.unshift(...warmUp.unavailable);
    report.faults.unshift(...warmUp.faults);
    report.badResponses.unshift(...warmUp.badResponses);
    for (const line of summarizeOutcomes(report)) t.diagnostic(line);
    t.diagnostic(`${report.calls} calls, ${report.dropped} dropped on purpose, seed ${SEED}`);

    assert.ok(agent.running, `the agent exited: ${agent.stderrTail()}`);
    assert.deepEqual(
      report.unavailable,
      [],
      `connections broke:\n${show(report.unavailable)}\n${agent.stderrTail()}`,
    );
    assert.deepEqual(report.faults, [], `JavaScript faults answered as statuses:\n${show(report.faults)}`);
    assert.deepEqual(report.badResponses, [], `undecodable responses:\n${show(report.badResponses)}`);

    await cleanUp(control);
    assert.equal(
      (await control.health.check({ service: '' })).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );

    await waitFor(() => childPids(pid).length <= childrenBefore.length, {
      timeoutMs: 5000,
      intervalMs: 50,
      what: () =>
        `the calls' child processes to end: ${childPids(pid).join(' ')} now, ${childrenBefore.join(' ')} before`,
    });
    assert.deepEqual(childPids(pid), childrenBefore, 'child processes outlived the calls');
    await waitFor(() => openFds(pid).length <= fdsBefore.length, {
      timeoutMs: 5000,
      intervalMs: 50,
      what: () => {
        const fds = openFds(pid);
        const leaked = describeFds(
          pid,
          fds.filter((f) => !fdsBefore.includes(f)),
        );
        return `leaked fds to close: ${fds.length} now, ${fdsBefore.length} before: ${leaked.join(' ')}`;
      },
    });
    t.diagnostic(
      `agent RSS ${Math.round(rssBefore / 1024)} MiB before, ${Math.round(memoryKb(pid).rss / 1024)} MiB after`,
    );
    const exit = await agent.stop();
    assert.equal(
      exit.code,
      0,
      `the agent did not stop cleanly: ${JSON.stringify(exit)} ${agent.stderrTail()}`,
    );
  } finally {
    await agent.stop();
  }
});
