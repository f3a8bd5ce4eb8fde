// Memory after abuse: an agent process is measured idle, then hit with bursts
// of what a hostile host can send (gzip bombs, oversized streamed bodies,
// CONTINUATION and PING floods, 16 MiB messages) while Health.Check is timed
// on its own connection; once the bursts stop, its RSS must come back within
// 10 % of idle.
import http2 from 'node:http2';
import net from 'node:net';
import zlib from 'node:zlib';
import { startConfinedAgent, type ConfinedAgent } from '../../tools/testkit/confined-agent';
import { memoryKb } from '../../tools/testkit/procfs';
import { RawH2 } from '../../tools/testkit/raw-h2';
import { FrameType } from '../../src/rpc/h2/frames';
import { WriteStreamRequest } from '../../src/generated/agent';
import type { SoakStep } from './step';

const MiB = 1024 * 1024;
const BURSTS = 3;

/** 1 GiB of zeros, gzip-compressed (about 1 MiB), made without holding the GiB. */
async function gzipBomb(): Promise<Buffer> {
  const gzip = zlib.createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gzip.once('end', resolve));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < 1024; i++) if (!gzip.write(zeros)) await new Promise((r) => gzip.once('drain', r));
  gzip.end();
  await done;
  return Buffer.concat(out);
}

function grpcFrame(message: Buffer, compressed: boolean): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** One raw call on its own connection; settles with whatever status came, never throws. */
function rawCall(socket: string, body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<void> {
  return new Promise((resolve) => {
    // Node's client stalls on its own bodies past maxSessionMemory (10 MB by default).
    const session = http2.connect('http://agent', {
      createConnection: () => net.connect(socket),
      maxSessionMemory: 512,
    });
    const timer = setTimeout(() => session.destroy(), 30_000);
    session.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    session.on('error', () => undefined);
    const req = session.request({
      ':method': 'POST',
      ':path': '/grpc.AgentService/WriteStdin',
      'content-type': 'application/grpc',
      ...headers,
    });
    req.on('error', () => undefined);
    req.on('close', () => session.close());
    req.resume();
    req.end(body);
  });
}

async function continuationFlood(socket: string): Promise<void> {
  const c = await RawH2.connect(socket);
  c.send(FrameType.HEADERS, 0, 1, Buffer.from([0x00, 0x01, 0x78, 0x7f, 0x81, 0x80, 0x80, 0x10]));
  const fragment = Buffer.alloc(16384, 0x61);
  for (let i = 0; i < 2048 && !c.socket.destroyed; i++) c.send(FrameType.CONTINUATION, 0, 1, fragment);
  await Promise.race([c.closed, new Promise((r) => setTimeout(r, 5000))]);
  c.close();
}

async function pingFlood(socket: string): Promise<void> {
  const c = await RawH2.connect(socket);
  for (let i = 0; i < 50_000 && !c.socket.destroyed; i++) c.send(FrameType.PING, 0, 0, Buffer.alloc(8));
  await Promise.race([c.closed, new Promise((r) => setTimeout(r, 5000))]);
  c.close();
}

async function burst(agent: ConfinedAgent, bomb: Buffer): Promise<void> {
  const big = Buffer.alloc(64 * MiB);
  big.writeUInt32BE(big.length - 5, 1);
  const legit = grpcFrame(
    Buffer.from(
      WriteStreamRequest.encode({
        container_id: 'c',
        exec_id: 'e',
        data: Buffer.alloc(16 * MiB - 64),
      }).finish(),
    ),
    false,
  );
  await Promise.all([
    ...Array.from({ length: 20 }, () =>
      rawCall(agent.socket, grpcFrame(bomb, true), { 'grpc-encoding': 'gzip' }),
    ),
    ...Array.from({ length: 4 }, () => rawCall(agent.socket, big)),
    ...Array.from({ length: 4 }, () => rawCall(agent.socket, legit)),
    ...Array.from({ length: 4 }, () => continuationFlood(agent.socket)),
    ...Array.from({ length: 4 }, () => pingFlood(agent.socket)),
  ]);
}

async function settledRss(pid: number, ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return memoryKb(pid).rss / 1024;
}

export const abuseSoak: SoakStep = {
  id: 'abuse',
  title: 'Memory after bursts of hostile input',
  async run() {
    const agent = await startConfinedAgent({ logLevel: 'info' });
    try {
      const control = await agent.client();
      for (let i = 0; i < 2000; i++) await control.health.check({ service: '' });
      const pid = agent.pid;
      const idle = await settledRss(pid, 3000);
      const bomb = await gzipBomb();
      const latencies: number[] = [];
      let abusing = true;
      const timing = (async () => {
        while (abusing) {
          const t0 = performance.now();
          await control.health.check({ service: '' }, { timeoutMs: 10_000 });
          latencies.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const peaks: number[] = [];
      for (let i = 0; i < BURSTS; i++) {
        await burst(agent, bomb);
        peaks.push(memoryKb(pid).peak / 1024);
      }
      abusing = false;
      await timing;
      const after = await settledRss(pid, 15_000);
      const worst = Math.max(...latencies);
      const details = [
        `${BURSTS} bursts, each: 20 gzip bombs of 1 GiB, 4 streamed 64 MiB bodies, 4 messages of 16 MiB, 4 CONTINUATION floods, 4 PING floods`,
        `RSS idle ${idle.toFixed(1)} MiB, high-water ${peaks.map((p) => p.toFixed(0)).join(' → ')} MiB, ` +
          `15 s after the last burst ${after.toFixed(1)} MiB (${((after / idle - 1) * 100).toFixed(1)} % over idle)`,
        `Health.Check during the bursts: ${latencies.length} calls, worst ${worst.toFixed(0)} ms`,
      ];
      return { holds: agent.running && after <= idle * 1.1 && worst < 5000, details };
    } finally {
      await agent.stop();
    }
  },
};
