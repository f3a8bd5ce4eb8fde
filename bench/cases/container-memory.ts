// The agent's resident memory with 100 containers running, against the same
// agent idle with its sandbox created (a fresh agent every round).
import { memoryKb } from '../../tools/testkit/procfs';
import { startContainerAgent } from '../lib/container-agent';
import { rssOnceQuiet } from '../lib/quiet-memory';
import type { BenchCase } from '../lib/result';

interface ContainerMemoryOptions {
  rounds: number;
  containers: number;
  settleMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function containerMemory(o: ContainerMemoryOptions): Promise<BenchCase[]> {
  const idle: number[] = [];
  const loaded: number[] = [];
  const afterRemoval: number[] = [];
  const quiet: number[] = [];
  const quietAfterS: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    const agent = await startContainerAgent();
    try {
      await sleep(o.settleMs);
      idle.push(memoryKb(agent.proc.pid).rss / 1024);
      const ids = Array.from({ length: o.containers }, (_, i) => `m${i}`);
      for (const id of ids) {
        await agent.create(id, ['sleep', '100000']);
        await agent.client.agent.startContainer({ container_id: id });
      }
      await sleep(o.settleMs);
      loaded.push(memoryKb(agent.proc.pid).rss / 1024);
      for (const id of ids) await agent.client.agent.removeContainer({ container_id: id, timeout: 0 });
      await sleep(o.settleMs);
      afterRemoval.push(memoryKb(agent.proc.pid).rss / 1024);
      const settled = await rssOnceQuiet(agent.proc.pid, idle[idle.length - 1]);
      quiet.push(settled.rss);
      quietAfterS.push(settled.afterS);
    } finally {
      await agent.stop();
    }
  }
  const median = (v: number[]): string => [...v].sort((a, b) => a - b)[v.length >> 1].toFixed(1);
  return [
    {
      id: 'rss-containers',
      title: `RSS with ${o.containers} containers running`,
      unit: 'MiB',
      better: 'lower',
      subject: { name: 'agent', samples: loaded },
      floor: { name: 'agent idle with a sandbox', samples: idle },
      notes: ["the agent holds each container's record, pipes and runtime state meanwhile"],
    },
    {
      id: 'rss-containers-after',
      title: `RSS after ${o.containers} containers, removed, once quiet`,
      unit: 'MiB',
      better: 'lower',
      subject: { name: 'agent', samples: quiet },
      floor: { name: 'agent idle with a sandbox', samples: idle },
      targets: [{ of: 'ratio', op: '<=', limit: 1.1, text: '≤ +10% over idle' }],
      notes: [
        `${median(afterRemoval)} MiB 1 s after the last removal; settled after ${median(quietAfterS)} s of quiet`,
      ],
    },
  ];
}
