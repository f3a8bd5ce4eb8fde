// The agent's HTTP/2 server against clients that break the protocol: each
// connection error gets a GOAWAY with RFC 9113's code and the connection ends;
// a malformed request gets RST_STREAM and its connection goes on; floods and
// oversized header blocks are cut off while another connection keeps being
// answered. Flow control is checked both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { createLogger } from '../../src/logging/logger';
import { CLIENT_PREFACE, Setting } from '../../src/rpc/h2/frames';
import type { H2Limits } from '../../src/rpc/h2/limits';
import { WireServer } from '../../src/rpc/grpc-wire';
import { serveConnection } from '../../src/transport/connection';
import type { AgentHandlers } from '../../src/rpc/types';
import { listenUnix } from '../../src/transport/unix';
import { H2, RawH2, settingsPayload, u32 } from '../../tools/testkit/raw-h2';

const { ErrorCode, Flag, FrameType } = H2;

async function withAgent(
  fn: (socket: string) => Promise<void>,
  agent: Partial<AgentHandlers> = {},
): Promise<void> {
  const { logger } = createLogger({ level: 'silent' });
  const server = new AgentServer({ agent, health: healthHandlers(), log: logger });
  const socket = path.join(os.tmpdir(), `kata-h2-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  const listener = await listenUnix(socket, (c) => server.inject(c));
  try {
    await fn(socket);
  } finally {
    await listener.close();
    await server.shutdown(100);
  }
}

/** Health.Check answers OK on a fresh connection. */
async function healthy(socket: string): Promise<void> {
  const c = await RawH2.connect(socket);
  try {
    c.call(1);
    const end = await c.streamEnd(1);
    assert.equal(end.type, FrameType.HEADERS, 'answered with trailers');
  } finally {
    c.close();
  }
}

const violations: [string, number, (c: RawH2) => void][] = [
  [
    'WINDOW_UPDATE overflowing the connection window',
    ErrorCode.FLOW_CONTROL_ERROR,
    (c) => c.send(FrameType.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1)),
  ],
  [
    'WINDOW_UPDATE of 0 on the connection',
    ErrorCode.PROTOCOL_ERROR,
    (c) => c.send(FrameType.WINDOW_UPDATE, 0, 0, u32(0)),
  ],
  ['DATA on stream 0', ErrorCode.PROTOCOL_ERROR, (c) => c.send(FrameType.DATA, 0, 0, Buffer.alloc(5))],
  [
    'HEADERS on a stream id lower than one already used',
    ErrorCode.PROTOCOL_ERROR,
    (c) => {
      c.call(5);
      c.call(3);
    },
  ],
  ['HEADERS on an even stream id', ErrorCode.PROTOCOL_ERROR, (c) => c.call(2)],
  [
    'a client PUSH_PROMISE',
    ErrorCode.PROTOCOL_ERROR,
    (c) => c.send(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4)),
  ],
  [
    'padding longer than the payload',
    ErrorCode.PROTOCOL_ERROR,
    (c) => c.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED, 1, Buffer.from([10, 0x82, 0x84])),
  ],
  [
    'an HPACK index past the table',
    ErrorCode.COMPRESSION_ERROR,
    (c) => c.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0xbe])),
  ],
  [
    'a dynamic table size update of 2^28',
    ErrorCode.COMPRESSION_ERROR,
    (c) => c.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x3f, 0xe1, 0xff, 0xff, 0x7f])),
  ],
  [
    'a frame larger than advertised',
    ErrorCode.FRAME_SIZE_ERROR,
    (c) => c.send(FrameType.DATA, 0, 1, Buffer.alloc((1 << 20) + 1)),
  ],
  [
    'a PING that is not 8 bytes',
    ErrorCode.FRAME_SIZE_ERROR,
    (c) => c.send(FrameType.PING, 0, 0, Buffer.alloc(7)),
  ],
  ['DATA on an idle stream', ErrorCode.PROTOCOL_ERROR, (c) => c.send(FrameType.DATA, 0, 7, Buffer.alloc(1))],
  [
    'another frame inside a header block',
    ErrorCode.PROTOCOL_ERROR,
    (c) => {
      c.send(FrameType.HEADERS, 0, 1, Buffer.from([0x83]));
      c.send(FrameType.PING, 0, 0, Buffer.alloc(8));
    },
  ],
  [
    'CONTINUATION without HEADERS',
    ErrorCode.PROTOCOL_ERROR,
    (c) => c.send(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.from([0x83])),
  ],
  [
    'SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1',
    ErrorCode.FLOW_CONTROL_ERROR,
    (c) => c.send(FrameType.SETTINGS, 0, 0, settingsPayload([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31]])),
  ],
  [
    'SETTINGS_MAX_FRAME_SIZE below 16384',
    ErrorCode.PROTOCOL_ERROR,
    (c) => c.send(FrameType.SETTINGS, 0, 0, settingsPayload([[Setting.MAX_FRAME_SIZE, 100]])),
  ],
];

test('protocol violations are connection errors: GOAWAY with the RFC code, then the connection ends', async () => {
  await withAgent(async (socket) => {
    for (const [name, code, offend] of violations) {
      const c = await RawH2.connect(socket);
      offend(c);
      const away = await c.goAway();
      assert.equal(away.code, code, `${name}: GOAWAY code (debug: ${away.debug})`);
      await c.closed;
    }
    await healthy(socket);
  });
});

test('a malformed request is a stream error: RST_STREAM, and the connection keeps serving', async () => {
  await withAgent(async (socket) => {
    const c = await RawH2.connect(socket);
    try {
      c.call(1, '/grpc.Health/Check', [['X-Upper', 'no']]);
      c.call(3, '/grpc.Health/Check', [['connection', 'close']]);
      c.call(5, '/grpc.Health/Check', [['__proto__', 'x']]);
      for (const id of [1, 3]) {
        const end = await c.streamEnd(id);
        assert.equal(end.type, FrameType.RST_STREAM);
        assert.equal(end.payload.readUInt32BE(0), ErrorCode.PROTOCOL_ERROR);
      }
      assert.equal(
        (await c.streamEnd(5)).type,
        FrameType.HEADERS,
        'a header named __proto__ is only a header',
      );
      // A zero WINDOW_UPDATE on a stream is a stream error too.
      c.headers(7, '/grpc.Health/Check');
      c.send(FrameType.WINDOW_UPDATE, 0, 7, u32(0));
      assert.equal((await c.streamEnd(7)).type, FrameType.RST_STREAM);
      c.call(9);
      assert.equal((await c.streamEnd(9)).type, FrameType.HEADERS);
    } finally {
      c.close();
    }
  });
});

test('a CONTINUATION flood is cut off early, while another connection is answered throughout', async () => {
  await withAgent(async (socket) => {
    const c = await RawH2.connect(socket);
    // One literal header declaring 32 MiB, then fragment after fragment without END_HEADERS.
    c.send(FrameType.HEADERS, 0, 1, Buffer.from([0x00, 0x01, 0x78, 0x7f, 0x81, 0x80, 0x80, 0x10]));
    const fragment = Buffer.alloc(16384, 0x61);
    let sent = 0;
    let goAway: Promise<unknown> | undefined;
    const rss0 = process.memoryUsage().rss;
    for (; sent < 32 << 20 && !c.socket.destroyed; sent += fragment.length) {
      c.send(FrameType.CONTINUATION, 0, 1, fragment);
      if (sent % (1 << 20) === 0) {
        await healthy(socket);
        goAway ??= c.frames.some((f) => f.type === FrameType.GOAWAY) ? c.goAway() : undefined;
        if (goAway) break;
      }
    }
    const away = await c.goAway();
    assert.equal(away.code, ErrorCode.ENHANCE_YOUR_CALM, away.debug);
    assert.ok(sent <= 2 << 20, `cut off after ${sent} bytes`);
    assert.ok(process.memoryUsage().rss - rss0 < 64 << 20, 'memory stays bounded');
    await c.closed;
    await healthy(socket);
  });
});

test('floods of work-free frames (PING, SETTINGS, RST_STREAM, empty DATA) end in ENHANCE_YOUR_CALM', async () => {
  await withAgent(async (socket) => {
    const floods: [string, (c: RawH2, i: number) => void][] = [
      ['PING', (c) => c.send(FrameType.PING, 0, 0, Buffer.alloc(8))],
      ['SETTINGS', (c) => c.send(FrameType.SETTINGS, 0, 0)],
      [
        'HEADERS + RST_STREAM',
        (c, i) => {
          c.headers(2 * i + 1, '/grpc.Health/Check');
          c.send(FrameType.RST_STREAM, 0, 2 * i + 1, u32(ErrorCode.CANCEL));
        },
      ],
      [
        'empty DATA',
        (c, i) => {
          if (i === 0) c.headers(1, '/grpc.Health/Check');
          c.send(FrameType.DATA, 0, 1);
        },
      ],
    ];
    for (const [name, frame] of floods) {
      const c = await RawH2.connect(socket);
      for (let i = 0; i < 30_000 && !c.socket.destroyed; i++) frame(c, i);
      const away = await c.goAway(10_000);
      assert.equal(away.code, ErrorCode.ENHANCE_YOUR_CALM, `${name}: ${away.debug}`);
      c.close();
    }
    await healthy(socket);
  });
});

test('flow control: the answer waits for the client window and goes on when it opens', async () => {
  await withAgent(async (socket) => {
    // The client lets 3 bytes through per stream; Health.Check's answer is 7 (prefix + status).
    const c = await RawH2.connect(socket, settingsPayload([[Setting.INITIAL_WINDOW_SIZE, 3]]));
    try {
      c.call(1);
      const first = await c.next((f) => f.type === FrameType.DATA && f.streamId === 1);
      assert.equal(first.payload.length, 3);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(c.frames.filter((f) => f.type === FrameType.DATA).length, 1, 'nothing past the window');
      c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(100));
      const end = await c.streamEnd(1);
      assert.equal(end.type, FrameType.HEADERS);
      const data = Buffer.concat(c.frames.filter((f) => f.type === FrameType.DATA).map((f) => f.payload));
      assert.deepEqual([...data], [0, 0, 0, 0, 2, 0x08, 0x01], 'SERVING');
      // The server's SETTINGS carry its limits, and its connection window is opened at once.
      const settings = c.frames.find((f) => f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK))!;
      assert.ok(settings.payload.length >= 24);
      assert.ok(c.frames.some((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 0));
    } finally {
      c.close();
    }
  });
});

test('a client that never reads: the server stops reading it instead of queueing answers', async () => {
  let served = 0;
  const readStdout = async () => {
    served++;
    return { data: Buffer.alloc(1 << 20) };
  };
  await withAgent(
    async (socket) => {
      // Windows wide open, so only the unread socket can hold the answers back.
      const c = await RawH2.connect(socket, settingsPayload([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]));
      c.send(FrameType.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1 - 65535));
      c.socket.pause();
      for (let i = 0; i < 40; i++) {
        c.call(2 * i + 1, '/grpc.AgentService/ReadStdout');
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(served >= 3 && served < 15, `${served} answers of 1 MiB made for a client that reads none`);
      await healthy(socket);
      c.close();
    },
    { readStdout },
  );
});

test('abandoned connections are closed: silent before the preface, or without SETTINGS after it', async () => {
  const { logger } = createLogger({ level: 'silent' });
  const wire = new WireServer({
    route: () => undefined,
    maxMessageBytes: 1024,
    limits: { handshakeMs: 200 },
  });
  const socket = path.join(os.tmpdir(), `kata-h2-${process.pid}-abandon.sock`);
  const listener = await listenUnix(socket, (c) =>
    serveConnection(c, wire, { log: logger, allowYamux: true, source: 'test', silentTimeoutMs: 200 }),
  );
  try {
    const silent = net.connect(socket);
    silent.on('error', () => undefined);
    const t0 = Date.now();
    await once(silent, 'close');
    assert.ok(Date.now() - t0 < 3000, 'a connection that never spoke is closed');
    const c = new RawH2(net.connect(socket));
    c.write(CLIENT_PREFACE);
    const away = await c.goAway();
    assert.equal(away.code, ErrorCode.PROTOCOL_ERROR);
    assert.match(away.debug, /no SETTINGS/);
    await c.closed;
  } finally {
    await listener.close();
    await wire.shutdown(100);
  }
});

async function withWire(limits: Partial<H2Limits>, fn: (socket: string) => Promise<void>): Promise<void> {
  const wire = new WireServer({
    // A handler that never answers keeps its stream open.
    route: () => () => new Promise<Buffer>(() => undefined),
    maxMessageBytes: 16 << 20,
    limits,
  });
  const socket = path.join(os.tmpdir(), `kata-h2-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  const listener = await listenUnix(socket, (c) => wire.inject(c));
  try {
    await fn(socket);
  } finally {
    await listener.close();
    await wire.shutdown(100);
  }
}

test('limits: streams past SETTINGS_MAX_CONCURRENT_STREAMS are refused', async () => {
  await withWire({ maxConcurrentStreams: 2 }, async (socket) => {
    const c = await RawH2.connect(socket);
    c.call(1, '/x');
    c.call(3, '/x');
    c.call(5, '/x');
    const refused = await c.streamEnd(5);
    assert.equal(refused.type, FrameType.RST_STREAM);
    assert.equal(refused.payload.readUInt32BE(0), ErrorCode.REFUSED_STREAM);
    c.close();
  });
});

test('limits: request bytes held past the budget stop the connection window from opening', async () => {
  await withWire({ connectionWindow: 256 << 10, heldBudget: 512 << 10 }, async (socket) => {
    // Bodies that never end: the window opens while less than the budget is held, then stays shut.
    const d = await RawH2.connect(socket);
    const granted = (): number =>
      65535 +
      d.frames
        .filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 0)
        .reduce((n, f) => n + f.payload.readUInt32BE(0), 0);
    await d.next((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 0);
    let sent = 0;
    let stream = -1;
    const chunk = Buffer.alloc(16 << 10);
    for (let idle = 0; idle < 10 && sent < 8 << 20;) {
      if (granted() - sent >= chunk.length) {
        if (sent % (256 << 10) === 0) d.headers((stream += 2), '/x');
        d.send(FrameType.DATA, 0, stream, chunk);
        sent += chunk.length;
        idle = 0;
      } else {
        await new Promise((r) => setTimeout(r, 20));
        idle++;
      }
    }
    assert.ok(sent >= 512 << 10, `${sent} bytes: the budget was reachable`);
    assert.ok(sent <= (512 + 256 + 16) << 10, `${sent} bytes held: at most the budget plus one window`);
    assert.ok(!d.frames.some((f) => f.type === FrameType.GOAWAY), 'no protocol error');
    d.close();
  });
});
