// Agent start to first answered RPC, and its resident memory idle and after
// 10,000 RPCs, each round with a fresh agent beside a fresh bare `node -e`.
import { memoryKb } from '../../test/helpers/procfs';
import type { AgentClient } from '../../src/client/agent-client';
import type { BenchCase } from '../lib/result';
import { spawnAgent, spawnBareNode } from '../lib/processes';

export interface StartupMemoryOptions {
  rounds: number;
  rpcs: number;
  /** Quiet time before a memory reading. */
  settleMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number): number => kb / 1024;

/** `count` RPCs, 16 in flight: mostly Health.Check, with Version and failing calls mixed in. */
async function load(clients: AgentClient[], count: number): Promise<void> {
  let issued = 0;
  const worker = async (client: AgentClient): Promise<void> => {
    while (issued < count) {
      const n = issued++;
      if (n % 10 === 7) await client.health.version({ service: '' });
      else if (n % 10 === 9)
        await client.agent.startContainer({ container_id: `missing-${n}` }).catch(() => undefined);
      else await client.health.check({ service: '' });
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, i) => worker(clients[i % clients.length])));
}

export async function startupAndMemory(options: StartupMemoryOptions): Promise<BenchCase[]> {
  const startAgent: number[] = [];
  const startNode: number[] = [];
  const idle: number[] = [];
  const idleNode: number[] = [];
  const loaded: number[] = [];
  const anonIdle: number[] = [];
  const anonLoaded: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const bare = await spawnBareNode();
    startNode.push(bare.startupUs / 1000);
    const agent = await spawnAgent();
    startAgent.push(agent.startupUs / 1000);
    try {
      const clients = [await agent.client(), await agent.client()];
      await sleep(options.settleMs);
      idle.push(mb(memoryKb(agent.pid).rss));
      anonIdle.push(mb(memoryKb(agent.pid).anon));
      idleNode.push(mb(memoryKb(bare.pid).rss));
      await load(clients, options.rpcs);
      await sleep(options.settleMs);
      loaded.push(mb(memoryKb(agent.pid).rss));
      anonLoaded.push(mb(memoryKb(agent.pid).anon));
    } finally {
      await agent.stop();
      await bare.stop();
    }
  }
  const median = (v: number[]): string => [...v].sort((a, b) => a - b)[v.length >> 1].toFixed(1);
  return [
    {
      id: 'startup',
      title: 'start to first answered RPC',
      unit: 'ms',
      better: 'lower',
      subject: { name: 'agent', samples: startAgent },
      floor: { name: 'bare node -e, first output', samples: startNode },
      notes: [
        'spawn of `node dist/src/cli/agent.js --listen unix://… --cmdline <empty>`, polling Health.Check',
      ],
    },
    {
      id: 'rss-idle',
      title: 'RSS idle',
      unit: 'MiB',
      better: 'lower',
      subject: { name: 'agent', samples: idle },
      floor: { name: 'bare node -e', samples: idleNode },
      targets: [{ of: 'value', op: '<=', limit: 35, text: '≤ 35 MB' }],
      notes: [
        `anonymous memory (heap, stacks) ${median(anonIdle)} MiB of it; the rest is the node binary's file pages`,
      ],
    },
    {
      id: 'rss-rpcs',
      title: `RSS after ${options.rpcs.toLocaleString('en')} RPCs`,
      unit: 'MiB',
      better: 'lower',
      subject: { name: 'agent', samples: loaded },
      floor: { name: 'agent idle', samples: idle },
      targets: [{ of: 'ratio', op: '<=', limit: 1.1, text: '≤ +10% over idle' }],
      notes: [`anonymous memory ${median(anonLoaded)} MiB after the load`],
    },
  ];
}
