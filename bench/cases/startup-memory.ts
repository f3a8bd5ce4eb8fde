// Agent start to first answered RPC, and its resident memory idle and after
// 10,000 RPCs, each round with a fresh agent beside a fresh bare `node -e`.
import { memoryKb } from '../../tools/testkit/procfs';
import type { AgentClient } from '../../src/client/agent-client';
import type { BenchCase } from '../lib/result';
import { spawnAgent, spawnBareNode } from '../lib/processes';
import { rssOnceQuiet } from '../lib/quiet-memory';

interface StartupMemoryOptions {
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

interface AgentMemory {
  startupMs: number;
  idle: number;
  anonIdle: number;
  loaded: number;
  anonLoaded: number;
  /** Once quiet again (see ../lib/quiet-memory.ts). */
  quiet: number;
  quietAfterS: number;
}

async function measureAgent(options: StartupMemoryOptions, nodeArgs: string[]): Promise<AgentMemory> {
  const agent = await spawnAgent({ nodeArgs });
  try {
    const clients = [await agent.client(), await agent.client()];
    await sleep(options.settleMs);
    const idle = memoryKb(agent.pid);
    await load(clients, options.rpcs);
    await sleep(options.settleMs);
    const loaded = memoryKb(agent.pid);
    const quiet = await rssOnceQuiet(agent.pid, mb(idle.rss));
    return {
      startupMs: agent.startupUs / 1000,
      idle: mb(idle.rss),
      anonIdle: mb(idle.anon),
      loaded: mb(loaded.rss),
      anonLoaded: mb(loaded.anon),
      quiet: quiet.rss,
      quietAfterS: quiet.afterS,
    };
  } finally {
    await agent.stop();
  }
}

// Back within 10 % of idle: the target the quiet reading is judged by.
const QUIET_GOAL = 1.1;

/** A young generation capped at 1 MiB: V8 otherwise grows it to 2 × 16 MiB under load. */
const SMALL_HEAP_FLAGS = ['--max-semi-space-size=1'];

export async function startupAndMemory(options: StartupMemoryOptions): Promise<BenchCase[]> {
  const startNode: number[] = [];
  const idleNode: number[] = [];
  const plain: AgentMemory[] = [];
  const small: AgentMemory[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const bare = await spawnBareNode();
    try {
      startNode.push(bare.startupUs / 1000);
      plain.push(await measureAgent(options, []));
      small.push(await measureAgent(options, SMALL_HEAP_FLAGS));
      idleNode.push(mb(memoryKb(bare.pid).rss));
    } finally {
      await bare.stop();
    }
  }
  const median = (v: number[]): string => [...v].sort((a, b) => a - b)[v.length >> 1].toFixed(1);
  const pick = (list: AgentMemory[], key: keyof AgentMemory): number[] => list.map((m) => m[key]);
  const flags = SMALL_HEAP_FLAGS.join(' ');
  const rpcs = options.rpcs.toLocaleString('en');
  return [
    {
      id: 'startup',
      title: 'start to first answered RPC',
      unit: 'ms',
      better: 'lower',
      subject: { name: 'agent', samples: pick(plain, 'startupMs') },
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
      subject: { name: 'agent', samples: pick(plain, 'idle') },
      floor: { name: 'bare node -e', samples: idleNode },
      targets: [{ of: 'value', op: '<=', limit: 35, text: '≤ 35 MB' }],
      notes: [
        `anonymous memory (heap, stacks) ${median(pick(plain, 'anonIdle'))} MiB of it; the rest is file pages, mostly of the node binary`,
      ],
    },
    {
      id: 'rss-rpcs',
      title: `RSS after ${rpcs} RPCs, once quiet`,
      unit: 'MiB',
      better: 'lower',
      subject: { name: 'agent', samples: pick(plain, 'quiet') },
      floor: { name: 'agent idle', samples: pick(plain, 'idle') },
      targets: [{ of: 'ratio', op: '<=', limit: QUIET_GOAL, text: '≤ +10% over idle' }],
      notes: [
        `1 s after the load ${median(pick(plain, 'loaded'))} MiB (anonymous ${median(pick(plain, 'anonLoaded'))}); settled after ${median(pick(plain, 'quietAfterS'))} s of quiet (V8's memory reducer)`,
      ],
    },
    {
      id: 'rss-rpcs-small-heap',
      title: `RSS after ${rpcs} RPCs, once quiet, ${flags} (as in the guest)`,
      unit: 'MiB',
      better: 'lower',
      subject: { name: 'agent', samples: pick(small, 'quiet') },
      floor: { name: 'agent idle', samples: pick(small, 'idle') },
      targets: [{ of: 'ratio', op: '<=', limit: QUIET_GOAL, text: '≤ +10% over idle' }],
      notes: [
        `1 s after the load ${median(pick(small, 'loaded'))} MiB (anonymous ${median(pick(small, 'anonIdle'))} → ${median(pick(small, 'anonLoaded'))}); settled after ${median(pick(small, 'quietAfterS'))} s`,
      ],
    },
  ];
}
