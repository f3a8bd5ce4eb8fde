// The runtime checks Health every second and takes silence for death. While
// the calls that can take long are pending (a WaitProcess on a process that
// does not exit, a ReadStdout with no output coming, a WriteStdin into a
// process that does not read, a GetOOMEvent with no OOM, a StatsContainer and
// a ListProcesses among them), Health.Check must keep answering promptly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContainer, exec, startHarness } from '../../tools/testkit/containers';

// Generous on a loaded 2-core machine; a stalled agent takes seconds or forever.
const PROMPT_MS = 1000;

test('Health.Check answers promptly while long calls are pending', { timeout: 120_000 }, async () => {
  const h = await startHarness({ runtime: 'crun' });
  const quiet = (p: Promise<unknown>): Promise<unknown> => p.catch(() => undefined);
  try {
    await createContainer(h, 'slow', ['cat']);
    await h.c.agent.startContainer({ container_id: 'slow' });
    await exec(h, 'slow', 'deaf', ['sleep', '1000']);
    const ids = { container_id: 'slow', exec_id: 'slow' };
    const pending = [
      h.c.agent.waitProcess(ids),
      h.c.agent.readStdout({ ...ids, len: 32 * 1024 }),
      h.c.agent.readStderr({ ...ids, len: 32 * 1024 }),
      h.c.agent.getOOMEvent({}),
      // Four times a pipe's worth into a process that never reads its stdin.
      h.c.agent.writeStdin({ container_id: 'slow', exec_id: 'deaf', data: Buffer.alloc(4 << 20) }),
    ].map(quiet);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await h.c.health.check({ service: '' });
      await h.c.agent.statsContainer({ container_id: 'slow' });
      await h.c.agent.listProcesses({ container_id: 'slow', format: 'json', args: [] });
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 25));
    }
    const worst = Math.max(...latencies);
    assert.ok(
      worst < PROMPT_MS,
      `Health.Check + StatsContainer + ListProcesses took up to ${worst.toFixed(0)} ms`,
    );
    await h.c.agent.removeContainer({ container_id: 'slow', timeout: 5 });
    // Everything but GetOOMEvent (which waits for an OOM anywhere) ends with the container.
    await Promise.all(pending.filter((_, i) => i !== 3));
  } finally {
    await h.stop();
  }
});
