// The client Kata 1.x hosts actually run: grpc-go sending the runtime's
// :authority ("vsock://3:1024"), over a unix socket and over yamux, the
// runtime's default transport. grpc-go times its own calls, so process start
// and pipes stay out of the figures. Health.Check is measured beside a grpc-js
// server driven by the same grpc-go client (with its own :authority, which
// grpc-js accepts); ReadStdout at 32 KiB per call beside a plain pipe.
import path from 'node:path';
import { CheckRequest } from '../../src/generated/health';
import { ExecProcessRequest, ReadStreamRequest, WaitProcessRequest } from '../../src/generated/agent';
import { runGoBench, runGoCalls, type GoCall } from '../../tools/testkit/grpc-go-client';
import { busyboxProcess } from '../../tools/testkit/containers';
import { busyboxRootfs } from '../../tools/testkit/rootfs';
import { readToEnd } from '../../tools/testkit/streams';
import { readPipe, runQuiet } from '../lib/bare';
import { startContainerAgent } from '../lib/container-agent';
import { spawnAgent, spawnFloorServer, type Transport } from '../lib/processes';
import type { BenchCase } from '../lib/result';
import { median } from '../lib/stats';

const KATA_AUTHORITY = 'vsock://3:1024';
const MiB = 1024 * 1024;
const HEALTH: GoCall = {
  method: '/grpc.Health/Check',
  request: CheckRequest.encode({ service: '' }).finish(),
};

function transportName(t: Transport): string {
  return t === 'unix' ? 'unix socket' : 'yamux over a unix socket';
}

/** Mean µs per call of the second of two runs of `calls` Health.Checks (the first warms up). */
async function goHealthUs(
  socket: string,
  transport: Transport,
  calls: number,
  authority?: string,
): Promise<number> {
  const lines = await runGoBench(socket, [HEALTH, HEALTH], {
    repeat: calls,
    yamux: transport === 'yamux',
    authority,
  });
  return Number(/^took (\d+)$/.exec(lines[1])![1]) / 1000 / calls;
}

export async function goHealthLatency(o: {
  rounds: number;
  calls: number;
  transport: Transport;
}): Promise<BenchCase> {
  const agent = await spawnAgent({ transport: o.transport });
  const floor = await spawnFloorServer(o.transport).catch(async (err: unknown) => {
    await agent.stop();
    throw err;
  });
  const subject: number[] = [];
  const base: number[] = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      const a = () => goHealthUs(agent.socket, o.transport, o.calls, KATA_AUTHORITY);
      const f = () => goHealthUs(floor.socket, o.transport, o.calls);
      if (round % 2 === 0) {
        subject.push(await a());
        base.push(await f());
      } else {
        base.push(await f());
        subject.push(await a());
      }
    }
  } finally {
    await agent.stop();
    await floor.stop();
  }
  return {
    id: `go-unary-${o.transport}`,
    title: `Health.Check latency, grpc-go with Kata's :authority, ${transportName(o.transport)}`,
    unit: 'µs',
    better: 'lower',
    subject: { name: 'agent', samples: subject },
    floor: { name: 'grpc-js server', samples: base },
    targets: [
      {
        of: 'value',
        op: '<=',
        limit: o.transport === 'unix' ? 200 : 250,
        text: o.transport === 'unix' ? '≤ 200 µs (the Go 1.x agent)' : '≤ 250 µs',
      },
    ],
    notes: [`grpc-go ${KATA_AUTHORITY} to the agent; the same client with its own :authority to the floor`],
  };
}

export async function goReadStdout(o: { rounds: number; bytes: number }): Promise<BenchCase[]> {
  const agent = await startContainerAgent();
  const busybox = path.join(busyboxRootfs(), 'bin/busybox');
  const dd = ['dd', 'if=/dev/zero', 'bs=65536', `count=${o.bytes / 65536}`];
  const samples: Record<Transport | 'floor', number[]> = { unix: [], yamux: [], floor: [] };
  let seq = 0;
  const readThroughAgent = async (transport: Transport): Promise<number> => {
    const id = `go${seq++}`;
    await agent.exec('box', id, dd);
    const request = ReadStreamRequest.encode({ container_id: 'box', exec_id: id, len: 32 * 1024 }).finish();
    const [lines] = await Promise.all([
      runGoBench(agent.proc.socket, [{ method: '/grpc.AgentService/ReadStdout', request }], {
        drain: true,
        yamux: transport === 'yamux',
        authority: KATA_AUTHORITY,
      }),
      agent.client.agent.waitProcess({ container_id: 'box', exec_id: id }),
      readToEnd(agent.client, 'box', id, 'stderr', { len: 4096, hash: false }),
    ]);
    const [, , bytes, nanos] = lines[0].split(' ').map(Number);
    if (bytes < o.bytes) throw new Error(`grpc-go read ${bytes} of ${o.bytes} bytes`);
    return o.bytes / MiB / (nanos / 1e9);
  };
  try {
    await agent.create('box', ['sleep', '100000']);
    await agent.client.agent.startContainer({ container_id: 'box' });
    for (let round = 0; round < o.rounds; round++) {
      samples.unix.push(await readThroughAgent('unix'));
      samples.yamux.push(await readThroughAgent('yamux'));
      const t0 = process.hrtime.bigint();
      const got = await readPipe(busybox, dd);
      if (got !== o.bytes) throw new Error(`pipe gave ${got} of ${o.bytes} bytes`);
      samples.floor.push(o.bytes / MiB / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
  } finally {
    await agent.stop();
  }
  return (['unix', 'yamux'] as const).map((t) => ({
    id: `go-stdout-${t}`,
    title: `ReadStdout at 32 KiB per call, grpc-go with Kata's :authority, ${transportName(t)}`,
    unit: 'MiB/s',
    better: 'higher' as const,
    subject: { name: 'agent', samples: samples[t] },
    floor: { name: 'plain pipe', samples: samples.floor },
    targets: [{ of: 'value' as const, op: '>=' as const, limit: 90, text: '≥ 90 MiB/s' }],
    notes: [`${o.bytes / MiB} MiB from dd in a crun container, read one 32 KiB ReadStdout after another`],
  }));
}

/** exec+wait of `true` as grpc-go sends them (ExecProcess, then WaitProcess), beside `crun exec`. */
export async function goExecWait(o: { rounds: number; execsPerRound: number }): Promise<BenchCase> {
  const agent = await startContainerAgent();
  const subject: number[] = [];
  const base: number[] = [];
  let seq = 0;
  try {
    await agent.create('box', ['sleep', '100000']);
    await agent.client.agent.startContainer({ container_id: 'box' });
    for (let round = 0; round < o.rounds; round++) {
      const calls: GoCall[] = [HEALTH];
      for (let i = 0; i < o.execsPerRound; i++) {
        const id = `ge${seq++}`;
        const exec = ExecProcessRequest.fromPartial({
          container_id: 'box',
          exec_id: id,
          process: busyboxProcess(['true']),
        });
        calls.push(
          { method: '/grpc.AgentService/ExecProcess', request: ExecProcessRequest.encode(exec).finish() },
          {
            method: '/grpc.AgentService/WaitProcess',
            request: WaitProcessRequest.encode({ container_id: 'box', exec_id: id }).finish(),
          },
        );
      }
      const results = await runGoCalls(agent.proc.socket, calls, { authority: KATA_AUTHORITY });
      const failed = results.find((r) => !r.ok);
      if (failed) throw new Error(`grpc-go exec+wait failed: ${JSON.stringify(failed)}`);
      // From the previous answer to this WaitProcess answer: one ExecProcess and one WaitProcess.
      const each = results.slice(1).filter((_, i) => i % 2 === 1);
      const times = each.map((r, i) => r.at - (i === 0 ? results[0].at : each[i - 1].at));
      subject.push(median(times));
      const bare: number[] = [];
      for (let i = 0; i < o.execsPerRound; i++) {
        const t0 = performance.now();
        await runQuiet('crun', ['--root', agent.stateRoot, 'exec', 'box', 'true']);
        bare.push(performance.now() - t0);
      }
      base.push(median(bare));
    }
  } finally {
    await agent.stop();
  }
  return {
    id: 'go-exec',
    title: "exec+wait of true, grpc-go with Kata's :authority, unix socket",
    unit: 'ms',
    better: 'lower',
    subject: { name: 'agent', samples: subject },
    floor: { name: 'crun exec', samples: base },
    notes: [`median of ${o.execsPerRound} execs per round, timed by grpc-go's answers as they arrive`],
  };
}
