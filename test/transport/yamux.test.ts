// TypeScript yamux against itself and against a hand-driven raw peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import { Session, type SessionOptions, type YamuxStream } from '../../src/transport/yamux';
import {
  encodeHeader,
  Flag,
  FrameDecoder,
  FrameType,
  GoAwayCode,
  INITIAL_WINDOW,
  type FrameHeader,
} from '../../src/transport/yamux/frame';
import { unixSocketPair } from '../../tools/testkit/socket-pair';
import { exercise, readAll, serveCommand, writeRandom } from '../helpers/stream-exercise';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { createLogger } from '../../src/logging/logger';
import { AgentClient } from '../../src/client/agent-client';
import { HealthCheckResponse_ServingStatus } from '../../src/generated/health';

const MiB = 1024 * 1024;

async function sessionPair(
  client: Partial<SessionOptions> = {},
  server: Partial<SessionOptions> = {},
): Promise<[Session, Session]> {
  const [a, b] = await unixSocketPair();
  return [new Session(a, { role: 'client', ...client }), new Session(b, { role: 'server', ...server })];
}

/** The peer's side of a session, frame by frame. */
async function rawPeer(options: Partial<SessionOptions> = {}) {
  const [a, b] = await unixSocketPair();
  const session = new Session(b, { role: 'server', ...options });
  const frames: FrameHeader[] = [];
  const waiters: (() => void)[] = [];
  const decoder = new FrameDecoder(
    {
      header() {},
      payload() {},
      end(h) {
        frames.push(h);
        waiters.splice(0).forEach((w) => w());
      },
    },
    1 << 30,
  );
  a.on('data', (d: Buffer) => decoder.write(d));
  a.on('error', () => {});
  return {
    socket: a as net.Socket,
    session,
    frames,
    send: (type: FrameType, flags: number, id: number, length: number, payload?: Buffer) =>
      a.write(
        payload
          ? Buffer.concat([encodeHeader(type, flags, id, length), payload])
          : encodeHeader(type, flags, id, length),
      ),
    async frame(match: (h: FrameHeader) => boolean): Promise<FrameHeader> {
      for (;;) {
        const found = frames.find(match);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

function served(server: Session): void {
  server.on('stream', (stream) => void serveCommand(stream));
}

test('TS client and TS server move 12 concurrent streams of 2 MiB, checksummed', async () => {
  const [client, server] = await sessionPair();
  served(server);
  await exercise(() => client.openStream(), 12, 2 * MiB);
  assert.equal(client.streamCount, 0);
  client.close();
  await once(server, 'close');
  assert.equal(server.streamCount, 0);
});

test('a larger stream window is granted on open and accept', async () => {
  const [client, server] = await sessionPair({ maxStreamWindow: 4 * MiB }, { maxStreamWindow: 2 * MiB });
  served(server);
  await exercise(() => client.openStream(), 6, 3 * MiB);
  client.close();
});

test('client streams get odd ids, server streams even ids; both sides can open', async () => {
  const [client, server] = await sessionPair();
  served(server);
  served(client);
  const ids = [client.openStream(), client.openStream(), server.openStream(), server.openStream()].map(
    (s) => {
      s.destroy();
      return s.id;
    },
  );
  assert.deepEqual(ids, [1, 3, 2, 4]);
  await exercise(() => server.openStream(), 3, 100_000);
  client.close();
});

test('a reader that does not read stops the writer after one window', async () => {
  const [client, server] = await sessionPair();
  let accepted: YamuxStream | undefined;
  server.on('stream', (s) => (accepted = s));
  const stream = client.openStream();
  const total = 2 * MiB;
  let completed = 0;
  const piece = Buffer.alloc(16 * 1024, 7);
  for (let i = 0; i < total / piece.length; i++) stream.write(piece, () => (completed += piece.length));
  stream.end();
  // A ping answered means the server has handled every frame sent before it.
  await client.ping();
  await client.ping();
  assert.ok(accepted);
  assert.equal(accepted.readableLength, INITIAL_WINDOW, 'the server buffers exactly one window');
  assert.ok(completed <= INITIAL_WINDOW + 64 * 1024, `writer completed ${completed} bytes`);
  const got = await readAll(accepted);
  assert.equal(got.bytes, total);
  accepted.end();
  await readAll(stream);
  client.close();
});

test('FIN half-closes: the side that ended still receives', async () => {
  const [client, server] = await sessionPair();
  server.on('stream', (s) => {
    s.resume();
    s.on('end', () => s.end('after your end'));
  });
  const stream = client.openStream();
  stream.end('bye');
  const got = await readAll(stream);
  assert.equal(got.tail.toString(), 'after your end');
  client.close();
});

test('destroying a stream with an error resets it on the other side; the session carries on', async () => {
  const [client, server] = await sessionPair();
  const accepted = once(server, 'stream') as Promise<[YamuxStream]>;
  served(server);
  const stream = client.openStream();
  stream.on('error', () => {});
  stream.write('echo 100\n');
  const [remote] = await accepted;
  const failed = once(remote, 'error');
  stream.destroy(new Error('abort'));
  const [err] = (await failed) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  await exercise(() => client.openStream(), 3, 10_000);
  assert.equal(server.streamCount, 0);
  client.close();
});

test('a stream closed without error answers further data with a reset', async () => {
  const [client, server] = await sessionPair();
  server.on('stream', (s) => s.destroy());
  const stream = client.openStream();
  stream.resume();
  await once(stream, 'end');
  const failed = once(stream, 'error');
  // The server's FIN came from destroy(): it no longer reads.
  stream.write(Buffer.alloc(1000));
  const [err] = (await failed) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  assert.equal(server.streamCount, 0);
  client.close();
});

test('pings are answered, and a keepalive without answers closes the session', async () => {
  const [client, server] = await sessionPair();
  assert.ok((await client.ping()) >= 0);
  assert.ok((await server.ping()) >= 0);
  client.close();
  const raw = await rawPeer({ keepAliveIntervalMs: 20, pingTimeoutMs: 50 });
  const ping = await raw.frame((h) => h.type === FrameType.Ping);
  assert.equal(ping.flags, Flag.SYN);
  const [err] = (await once(raw.session, 'close')) as [Error];
  assert.match(err.message, /keepalive failed: yamux ping not answered/);
});

test('an invalid header closes that session with a protocol-error go away, and only that session', async () => {
  const [client, server] = await sessionPair();
  served(server);
  const raw = await rawPeer();
  raw.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const [err] = (await once(raw.session, 'close')) as [Error];
  assert.match(err.message, /invalid protocol version 71/);
  const goAway = await raw.frame((h) => h.type === FrameType.GoAway);
  assert.equal(goAway.length, GoAwayCode.ProtocolError);
  await once(raw.socket, 'end');
  await exercise(() => client.openStream(), 3, 10_000);
  client.close();
});

test('protocol violations: window exceeded, duplicate stream, SYN on stream 0', async () => {
  const cases: [string, (raw: Awaited<ReturnType<typeof rawPeer>>) => void, RegExp][] = [
    [
      'window',
      (raw) => {
        raw.send(FrameType.WindowUpdate, Flag.SYN, 1, 0);
        raw.send(FrameType.Data, 0, 1, 200_000, Buffer.alloc(200_000));
        raw.send(FrameType.Data, 0, 1, 100_000, Buffer.alloc(100_000));
      },
      /exceed the receive window/,
    ],
    [
      'duplicate',
      (raw) => {
        raw.send(FrameType.WindowUpdate, Flag.SYN, 1, 0);
        raw.send(FrameType.WindowUpdate, Flag.SYN, 1, 0);
      },
      /duplicate stream 1/,
    ],
    ['stream 0', (raw) => raw.send(FrameType.Data, Flag.SYN, 0, 0), /SYN on stream 0/],
  ];
  for (const [name, act, expected] of cases) {
    const raw = await rawPeer();
    raw.session.on('stream', (s) => s.on('error', () => {}));
    act(raw);
    const [err] = (await once(raw.session, 'close')) as [Error];
    assert.match(err.message, expected, name);
    raw.socket.destroy();
  }
});

test('go away: the peer opens no more streams; a SYN racing it is reset', async () => {
  const [client, server] = await sessionPair();
  served(server);
  server.goAway();
  const racing = client.openStream();
  const [err] = (await once(racing, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  await client.ping();
  assert.throws(() => client.openStream(), /not accepting new streams/);
  // Streams opened the other way still work.
  served(client);
  await exercise(() => server.openStream(), 3, 10_000);
  client.close();
});

test('closing the session or losing the connection tears every stream down', async () => {
  for (const how of ['close', 'connection'] as const) {
    const [client, server] = await sessionPair();
    const remote: YamuxStream[] = [];
    server.on('stream', (s) => {
      s.on('error', () => {});
      remote.push(s);
    });
    const local = [client.openStream(), client.openStream()];
    local.forEach((s) => {
      s.on('error', () => {});
      s.write('x');
    });
    await client.ping();
    if (how === 'close') client.close();
    else (server as unknown as { conn: net.Socket }).conn.destroy();
    await Promise.all([...local, ...remote].map((s) => new Promise((resolve) => s.once('close', resolve))));
    if (!server.closed) await once(server, 'close');
    assert.equal(client.streamCount + server.streamCount, 0, how);
    assert.throws(() => client.openStream(), /closed/);
    await assert.rejects(client.ping(), /closed/);
  }
});

test('gRPC over TS yamux: server streams injected into the agent server', async () => {
  const log = createLogger({ level: 'silent' }).logger;
  const agent = new AgentServer({ agent: {}, health: healthHandlers(), log });
  const [client, server] = await sessionPair();
  server.on('stream', (s) => agent.inject(s));
  const clients = Array.from({ length: 4 }, () => new AgentClient(client.openStream()));
  const answers = await Promise.all(clients.map((c) => c.health.check({ service: '' })));
  for (const a of answers) assert.equal(a.status, HealthCheckResponse_ServingStatus.SERVING);
  for (const c of clients) c.destroy();
  client.close();
  await agent.shutdown();
});

test('a large write is checksummed end to end through one stream', async () => {
  const [client, server] = await sessionPair({ maxFrame: 4096 });
  served(server);
  const stream = client.openStream();
  stream.write(`hash ${5 * MiB}\n`);
  const [sent, answer] = await Promise.all([
    writeRandom(stream, 5 * MiB).then((sum) => (stream.end(), sum)),
    readAll(stream),
  ]);
  assert.equal(answer.tail.toString(), sent.toString('hex') + '\n');
  client.close();
});
