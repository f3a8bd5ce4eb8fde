// The protocol fuzzer of the test suite, run for minutes instead of seconds.
import { startConfinedAgent } from '../../tools/testkit/confined-agent';
import { childPids, describeFds, memoryKb, openFds } from '../../tools/testkit/procfs';
import { runFuzz } from '../../tools/testkit/fuzz-run';
import type { SoakStep } from './step';

export const fuzzSoak: SoakStep = {
  id: 'fuzz',
  title: 'Protocol fuzzing of every RPC',
  async run(options) {
    const seed = Date.now() % 2 ** 31;
    const agent = await startConfinedAgent({
      logLevel: 'debug',
      config: { hotplugTimeoutMs: 200, copyFileMaxBytes: 1 << 20 },
    });
    try {
      const fuzz = (s: number, budgetMs: number) =>
        runFuzz((worker) => agent.client(worker % 2 ? 'yamux' : 'unix'), {
          seed: s,
          budgetMs,
          concurrency: 8,
          callTimeoutMs: 1500,
          dropEvery: 97,
        });
      await fuzz(seed ^ 0x5a5a5a5a, 5000);
      const pid = agent.pid;
      const fdsBefore = openFds(pid);
      const rssBefore = memoryKb(pid).rss;
      const report = await fuzz(seed, options.fuzzSeconds * 1000);
      await new Promise((r) => setTimeout(r, 2000));
      const fdsAfter = openFds(pid);
      const children = childPids(pid);
      const control = await agent.client();
      const serving = (await control.health.check({ service: '' })).status === 1;
      const findings = [...report.unavailable, ...report.faults, ...report.badResponses];
      const details = [
        `seed ${seed}: ${report.calls} calls (${report.dropped} cut by dropped connections)`,
        `findings: ${findings.length}${findings.length ? ' ' + JSON.stringify(findings.slice(0, 5)) : ''}`,
        `fds ${fdsBefore.length} → ${fdsAfter.length}${
          fdsAfter.length > fdsBefore.length
            ? ': ' +
              describeFds(
                pid,
                fdsAfter.filter((f) => !fdsBefore.includes(f)),
              ).join(' ')
            : ''
        }`,
        `children left: ${children.length}`,
        `RSS ${Math.round(rssBefore / 1024)} MiB → ${Math.round(memoryKb(pid).rss / 1024)} MiB`,
        `Health.Check after the run: ${serving ? 'SERVING' : 'not serving'}`,
      ];
      const holds =
        agent.running &&
        findings.length === 0 &&
        fdsAfter.length <= fdsBefore.length + 1 &&
        children.length === 0 &&
        serving;
      return { holds, details };
    } finally {
      await agent.stop();
    }
  },
};
