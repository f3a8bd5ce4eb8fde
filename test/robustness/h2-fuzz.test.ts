// Frame-level fuzzing of the agent's HTTP/2 server, over the unix socket and
// over yamux streams: random sequences of frames of every type, with random
// flags, stream ids, lengths and payloads, some built from valid requests and
// then mutated. Invariants: the server never faults (a JavaScript error would
// surface as GOAWAY INTERNAL_ERROR), every connection either still answers a
// PING or was ended with a GOAWAY first, and Health.Check answers afterwards.
// FUZZ_SEED replays a run ("random" picks one); the suite uses a fixed one, and
// `npm run fuzz` runs fresh seeds with FUZZ_CONNECTIONS=20000.
// test-file-timeout-ms: 330000 (its fuzzer's own timeout, and loading; see scripts/test-inner.sh)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { createLogger } from '../../src/logging/logger';
import { listenUnix } from '../../src/transport/unix';
import { serveConnection } from '../../src/transport/connection';
import { Session } from '../../src/transport/yamux';
import { connectUnix } from '../../src/client/dial';
import { encodeHeaderBlock } from '../../src/rpc/h2/hpack';
import { smallFrame } from '../../src/rpc/h2/frames';
import { H2, RawH2 } from '../../tools/testkit/raw-h2';

const { ErrorCode, FrameType } = H2;
const SEED =
  process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 20261204);
const CONNECTIONS = Number(process.env.FUZZ_CONNECTIONS ?? 1500);

/** mulberry32: small, seedable, good enough to pick frames. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function frameMaker(random: () => number) {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  const streamId = (): number => pick([0, 1, 1, 3, 3, 5, 2, 7, 9, 0x7fffffff, int(100)]);
  const request = (): Buffer =>
    encodeHeaderBlock([
      [':method', pick(['POST', 'GET', 'PUT'])],
      [':scheme', 'http'],
      [':path', pick(['/grpc.Health/Check', '/grpc.AgentService/StartContainer', '/x', ''])],
      [':authority', pick(['vsock://3:1024', 'localhost', ''])],
      ['content-type', pick(['application/grpc', 'text/plain'])],
      ...(random() < 0.2 ? [['grpc-timeout', pick(['1m', '99999999H', 'x'])] as [string, string]] : []),
    ]);
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return b;
  };
  const payload = (type: number): Buffer => {
    switch (type) {
      case FrameType.HEADERS:
        return random() < 0.7 ? request() : bytes(int(40));
      case FrameType.DATA:
        return random() < 0.5
          ? Buffer.concat([Buffer.from([0, 0, 0, 0, int(3)]), bytes(int(3))])
          : bytes(int(200));
      case FrameType.SETTINGS:
        return random() < 0.8
          ? Buffer.concat(
              Array.from({ length: int(4) }, () =>
                Buffer.concat([
                  Buffer.from([0, 1 + int(7)]),
                  u32(pick([0, 1, 16384, 65535, 2 ** 31, 2 ** 24, int(2 ** 32)])),
                ]),
              ),
            )
          : bytes(int(14));
      case FrameType.WINDOW_UPDATE:
        return random() < 0.8 ? u32(pick([0, 1, 65535, 2 ** 31 - 1, int(2 ** 32)])) : bytes(int(6));
      case FrameType.PING:
        return bytes(random() < 0.8 ? 8 : int(12));
      case FrameType.RST_STREAM:
        return random() < 0.8 ? u32(int(14)) : bytes(int(6));
      case FrameType.PRIORITY:
        return bytes(random() < 0.8 ? 5 : int(8));
      case FrameType.GOAWAY:
        return bytes(8 + int(8));
      default:
        return bytes(int(30));
    }
  };
  return (): Buffer => {
    const type = random() < 0.9 ? int(10) : int(256);
    const flags = random() < 0.5 ? pick([0, 1, 4, 5, 8, 0x20, 0x25]) : int(256);
    const frame = smallFrame(type, flags, streamId(), payload(type));
    // Now and then a bit of the type, flags, stream id or payload flips; or the length
    // grows past the agent's frame limit (a length that merely lies would only make the
    // agent wait for the rest of the frame, as it must).
    if (random() < 0.1) frame[3 + int(frame.length - 3)] ^= 1 << int(8);
    if (random() < 0.02) frame[0] |= 0x20 << int(3);
    return frame;
  };
}

type Outcome = 'answered' | 'goaway';

/** Sends `frames` after the preface, then a PING; how the connection ended up. */
async function fuzzOne(conn: Duplex, frames: Buffer[]): Promise<Outcome> {
  const c = RawH2.over(conn);
  for (const f of frames) c.write(f);
  const probe = Buffer.from('fuzzprob');
  c.send(FrameType.PING, 0, 0, probe);
  const answer = await Promise.race([
    c
      .next((f) => f.type === FrameType.PING && f.flags === 1 && f.payload.equals(probe), 3000)
      .then(() => 'answered' as const),
    c.next((f) => f.type === FrameType.GOAWAY, 3000).then(() => 'goaway' as const),
    c.closed.then(() => 'closed' as const),
  ]).catch(() => 'stuck' as const);
  const goAway = c.frames.find((f) => f.type === FrameType.GOAWAY);
  c.close();
  if (goAway) {
    const code = goAway.payload.readUInt32BE(4);
    assert.notEqual(code, ErrorCode.INTERNAL_ERROR, `server fault: ${goAway.payload.subarray(8).toString()}`);
    return 'goaway';
  }
  assert.equal(answer, 'answered', `connection ${answer} without a GOAWAY; frames: ${c.describe()}`);
  return 'answered';
}

test(
  `HTTP/2 frame fuzzer over unix and yamux (seed ${SEED}, ${CONNECTIONS} connections)`,
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-h2fuzz-'));
    const { logger } = createLogger({ level: 'silent' });
    const server = new AgentServer({ agent: {}, health: healthHandlers(), log: logger });
    const socket = path.join(dir, 'agent.sock');
    // As the agent's channels do: HTTP/2 straight on the socket, or yamux whose streams carry it.
    const listener = await listenUnix(socket, (c) =>
      serveConnection(c, server, { log: logger, allowYamux: true, source: 'fuzz' }),
    );
    const random = prng(SEED);
    const makeFrame = frameMaker(random);
    const session = new Session(await connectUnix(socket), { role: 'client' });
    const counts: Record<string, number> = {};
    try {
      for (let i = 0; i < CONNECTIONS; i++) {
        const frames = Array.from({ length: 1 + Math.floor(random() * 20) }, makeFrame);
        const overYamux = i % 3 === 2;
        const conn = overYamux ? session.openStream() : await connectUnix(socket);
        try {
          const outcome = await fuzzOne(conn, frames);
          counts[outcome] = (counts[outcome] ?? 0) + 1;
        } catch (err) {
          const replay = frames.map((f) => f.toString('hex')).join(' ');
          (err as Error).message +=
            `\n(seed ${SEED}, connection ${i}, ${overYamux ? 'yamux' : 'unix'}; frames: ${replay})`;
          throw err;
        }
      }
      // Both outcomes must occur, or the fuzzer is not reaching the server's checks.
      assert.ok((counts.answered ?? 0) > 0 && (counts.goaway ?? 0) > 0, JSON.stringify(counts));
      const c = RawH2.over(session.openStream());
      c.call(1);
      assert.equal((await c.streamEnd(1)).type, FrameType.HEADERS, 'Health.Check after the fuzzing');
      c.close();
    } finally {
      session.close();
      await listener.close();
      await server.shutdown(100);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
