// The HTTP/2 server reports what goes wrong on a connection instead of
// swallowing it: a client's protocol violation at debug, a fault while
// serving at warn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logging/logger';
import { WireServer, type WireServerOptions } from '../../src/rpc/grpc-wire';
import { listenUnix } from '../../src/transport/unix';
import { H2, RawH2 } from '../../tools/testkit/raw-h2';

const { ErrorCode, FrameType } = H2;

async function withLoggedWire(
  route: WireServerOptions['route'],
  fn: (socket: string, lines: string[]) => Promise<void>,
): Promise<void> {
  const lines: string[] = [];
  const { logger } = createLogger({ level: 'debug', primary: (line) => lines.push(line) });
  const wire = new WireServer({ route, maxMessageBytes: 1024, log: logger });
  const socket = path.join(
    os.tmpdir(),
    `kata-h2log-${process.pid}-${Math.random().toString(36).slice(2)}.sock`,
  );
  const listener = await listenUnix(socket, (c) => wire.inject(c));
  try {
    await fn(socket, lines);
  } finally {
    await listener.close();
    await wire.shutdown(100);
  }
}

const withLevel = (lines: string[], level: string): string[] =>
  lines.filter((l) => l.includes(`level=${level} `));

test('a protocol violation is logged at debug with its HTTP/2 error code, not as a warning', async () => {
  await withLoggedWire(
    () => undefined,
    async (socket, lines) => {
      const c = await RawH2.connect(socket);
      c.send(FrameType.PUSH_PROMISE, 0, 1, Buffer.alloc(4));
      assert.equal((await c.goAway()).code, ErrorCode.PROTOCOL_ERROR);
      await c.closed;
      const debug = withLevel(lines, 'debug').filter((l) => l.includes('broke the protocol'));
      assert.equal(debug.length, 1, lines.join(''));
      assert.match(debug[0], /code=PROTOCOL_ERROR/);
      assert.match(debug[0], /error="a client may not send PUSH_PROMISE"/);
      assert.deepEqual(withLevel(lines, 'warning'), []);
    },
  );
});

test('a malformed stream is logged at debug with the stream id; the connection goes on', async () => {
  await withLoggedWire(
    () => undefined,
    async (socket, lines) => {
      const c = await RawH2.connect(socket);
      c.send(FrameType.PRIORITY, 0, 1, Buffer.alloc(4));
      const reset = await c.streamEnd(1);
      assert.equal(reset.type, FrameType.RST_STREAM);
      const debug = withLevel(lines, 'debug').filter((l) => l.includes('stream reset'));
      assert.equal(debug.length, 1, lines.join(''));
      assert.match(debug[0], /stream=1 /);
      assert.match(debug[0], /code=FRAME_SIZE_ERROR/);
      c.close();
    },
  );
});

test('a fault while serving a connection is a warning naming the error', async () => {
  await withLoggedWire(
    () => {
      throw new Error('route table broken');
    },
    async (socket, lines) => {
      const c = await RawH2.connect(socket);
      c.call(1);
      assert.equal((await c.goAway()).code, ErrorCode.INTERNAL_ERROR);
      await c.closed;
      const warn = withLevel(lines, 'warning');
      assert.equal(warn.length, 1, lines.join(''));
      assert.match(warn[0], /msg="HTTP\/2 connection failed, closed"/);
      assert.match(warn[0], /error="route table broken"/);
    },
  );
});

test('a handler failing with something other than an AgentError is a warning naming the path', async () => {
  await withLoggedWire(
    () => () => Promise.reject(new TypeError('not an AgentError')),
    async (socket, lines) => {
      const c = await RawH2.connect(socket);
      c.call(1, '/grpc.Health/Check');
      await c.streamEnd(1);
      c.close();
      const warn = withLevel(lines, 'warning');
      assert.equal(warn.length, 1, lines.join(''));
      assert.match(warn[0], /path=\/grpc.Health\/Check/);
      assert.match(warn[0], /error="not an AgentError"/);
    },
  );
});
