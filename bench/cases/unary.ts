// Unary RPC latency: sequential Health.Check calls to the agent and to a
// minimal grpc-js server on the same transport, through the same client.
import type { AgentClient } from '../../src/client/agent-client';
import type { BenchCase } from '../lib/result';
import { elapsedUs } from '../lib/stats';
import { spawnAgent, spawnFloorServer, type StartedProcess, type Transport } from '../lib/processes';

interface UnaryOptions {
  rounds: number;
  callsPerRound: number;
  nodeArgs?: string[];
  transport: Transport;
}

async function meanCallUs(client: AgentClient, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await client.health.check({ service: '' });
  return elapsedUs(started) / calls;
}

export async function unaryLatency(options: UnaryOptions): Promise<BenchCase> {
  const agent = await spawnAgent({ nodeArgs: options.nodeArgs, transport: options.transport });
  let floor: StartedProcess | undefined;
  try {
    floor = await spawnFloorServer(options.transport);
    const clients = { agent: await agent.client(), floor: await floor.client() };
    // Warm both up (JIT, http2 windows) before anything counts.
    await meanCallUs(clients.agent, 500);
    await meanCallUs(clients.floor, 500);
    const subject: number[] = [];
    const base: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      // Alternate who goes first so that a burst of load elsewhere hits both alike.
      if (round % 2 === 0) {
        subject.push(await meanCallUs(clients.agent, options.callsPerRound));
        base.push(await meanCallUs(clients.floor, options.callsPerRound));
      } else {
        base.push(await meanCallUs(clients.floor, options.callsPerRound));
        subject.push(await meanCallUs(clients.agent, options.callsPerRound));
      }
    }
    return {
      id: `unary-${options.transport}`,
      title: `Health.Check latency, ${options.transport === 'unix' ? 'unix socket' : 'yamux over a unix socket'}`,
      unit: 'µs',
      better: 'lower',
      subject: { name: 'agent', samples: subject },
      floor: { name: 'grpc-js server', samples: base },
      targets: [{ of: 'ratio', op: '<=', limit: 1.3, text: '≤ 1.3× the grpc-js floor' }],
      notes: [`mean of ${options.callsPerRound} sequential calls per round, same client for both`],
    };
  } finally {
    await agent.stop();
    await floor?.stop();
  }
}
