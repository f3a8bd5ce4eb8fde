// Container stdio throughput, each case beside its floor in every round, with
// the agent in its own process: stdout through ReadStdout (32 KiB and 1 MiB
// reads) and stdin through WriteStdin (32 KiB writes), against the same bytes
// moved by the same command through a plain pipe.
import path from 'node:path';
import { busyboxRootfs } from '../../tools/testkit/rootfs';
import { readToEnd, writeAll } from '../../tools/testkit/streams';
import { readPipe, writePipe } from '../lib/bare';
import { startContainerAgent, type ContainerAgent } from '../lib/container-agent';
import type { BenchCase } from '../lib/result';
import { elapsedUs } from '../lib/stats';

interface StdioBenchOptions {
  rounds: number;
  nodeArgs: string[];
  /** Bytes per run; a multiple of 64 KiB. */
  bytes: number;
}

const MiB = 1024 * 1024;

async function mibPerS(bytes: number, work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return bytes / MiB / (elapsedUs(started) / 1e6);
}

function ddZeros(bytes: number): string[] {
  return ['dd', 'if=/dev/zero', 'bs=65536', `count=${bytes / 65536}`];
}

async function readThroughAgent(
  agent: ContainerAgent,
  id: string,
  bytes: number,
  len: number,
): Promise<void> {
  await agent.exec('box', id, ddZeros(bytes));
  const [out] = await Promise.all([
    readToEnd(agent.client, 'box', id, 'stdout', { len, hash: false }),
    agent.client.agent.waitProcess({ container_id: 'box', exec_id: id }),
    readToEnd(agent.client, 'box', id, 'stderr', { len: 4096, hash: false }),
  ]);
  if (out.bytes !== bytes) throw new Error(`read ${out.bytes} of ${bytes} bytes`);
}

async function writeThroughAgent(agent: ContainerAgent, id: string, bytes: number): Promise<void> {
  await agent.exec('box', id, ['sh', '-c', 'cat > /dev/null']);
  await writeAll(agent.client, 'box', id, Buffer.alloc(bytes, 0x61), 32 * 1024);
  await agent.client.agent.closeStdin({ container_id: 'box', exec_id: id });
  await agent.finish('box', id);
}

export async function stdioCases(o: StdioBenchOptions): Promise<BenchCase[]> {
  const agent = await startContainerAgent(o.nodeArgs);
  const busybox = path.join(busyboxRootfs(), 'bin/busybox');
  const n = o.bytes;
  const s = {
    out32: [] as number[],
    out1m: [] as number[],
    outFloor: [] as number[],
    stdin: [] as number[],
    stdinFloor: [] as number[],
  };
  try {
    await agent.create('box', ['sleep', '100000']);
    await agent.client.agent.startContainer({ container_id: 'box' });
    let seq = 0;
    for (let round = 0; round < o.rounds; round++) {
      s.out32.push(await mibPerS(n, () => readThroughAgent(agent, `out${seq++}`, n, 32 * 1024)));
      s.out1m.push(await mibPerS(n, () => readThroughAgent(agent, `out${seq++}`, n, MiB)));
      s.outFloor.push(
        await mibPerS(n, async () => {
          const got = await readPipe(busybox, ddZeros(n));
          if (got !== n) throw new Error(`pipe gave ${got} of ${n} bytes`);
        }),
      );
      s.stdin.push(await mibPerS(n, () => writeThroughAgent(agent, `in${seq++}`, n)));
      s.stdinFloor.push(
        await mibPerS(n, () => writePipe(busybox, ['sh', '-c', 'cat > /dev/null'], n, 32 * 1024)),
      );
    }
    await agent.client.agent.removeContainer({ container_id: 'box', timeout: 0 });
  } finally {
    await agent.stop();
  }
  const size = `${n / MiB} MiB`;
  return [
    {
      id: 'stdout-32k',
      title: 'ReadStdout throughput, 32 KiB reads',
      unit: 'MiB/s',
      better: 'higher',
      subject: { name: 'agent', samples: s.out32 },
      floor: { name: 'pipe', samples: s.outFloor },
      targets: [{ of: 'value', op: '>=', limit: 90, text: '≥ 90 MiB/s' }],
      notes: [
        `${size} from dd if=/dev/zero bs=64k exec'd in a container, exec start included; the floor reads the same command's pipe`,
      ],
    },
    {
      id: 'stdout-1m',
      title: 'ReadStdout throughput, 1 MiB reads',
      unit: 'MiB/s',
      better: 'higher',
      subject: { name: 'agent', samples: s.out1m },
      floor: { name: 'pipe', samples: s.outFloor },
    },
    {
      id: 'stdin',
      title: 'WriteStdin throughput, 32 KiB writes',
      unit: 'MiB/s',
      better: 'higher',
      subject: { name: 'agent', samples: s.stdin },
      floor: { name: 'pipe', samples: s.stdinFloor },
      notes: [`${size} into cat > /dev/null, exec start and wait included`],
    },
  ];
}
