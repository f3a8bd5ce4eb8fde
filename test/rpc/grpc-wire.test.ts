// The gRPC wire as clients see it: a stock grpc-js client (compression,
// deadlines, cancellation, large messages, status texts) and raw HTTP/2 for
// the malformed cases no well-behaved client sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ServiceError,
  type ChannelOptions,
} from '@grpc/grpc-js';
import { AgentServiceDefinition } from '../../src/generated/agent';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { createLogger } from '../../src/logging/logger';
import { invalidArgument } from '../../src/common/errors';
import { percentEncode, parseTimeout } from '../../src/rpc/grpc-wire';
import { Code } from '../../src/common/status';
import type { AgentHandlers } from '../../src/rpc/types';
import { listenUnix } from '../../src/transport/unix';
import { grpcJsService } from '../../tools/testkit/grpc-js-service';
import { waitFor } from '../helpers/wait-for';

const AgentService = grpcJsService(AgentServiceDefinition);
const AgentClientCtor = makeGenericClientConstructor(AgentService, 'grpc.AgentService');

interface Harness {
  socket: string;
  client(options?: ChannelOptions): Client & Record<string, (...args: unknown[]) => unknown>;
  server: AgentServer;
}

async function withServer(
  handlers: Partial<AgentHandlers>,
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const { logger } = createLogger({ level: 'silent' });
  const server = new AgentServer({ agent: handlers, health: healthHandlers(), log: logger });
  const socket = path.join(
    os.tmpdir(),
    `kata-wire-${process.pid}-${Math.random().toString(36).slice(2)}.sock`,
  );
  const listener = await listenUnix(socket, (c) => server.inject(c));
  const clients: Client[] = [];
  try {
    await fn({
      socket,
      server,
      client: (options) => {
        const c = new AgentClientCtor(`unix://${socket}`, credentials.createInsecure(), options);
        clients.push(c);
        return c as Client & Record<string, (...args: unknown[]) => unknown>;
      },
    });
  } finally {
    for (const c of clients) c.close();
    await listener.close();
    await server.shutdown(100);
  }
}

function unary<T>(
  client: Record<string, (...args: unknown[]) => unknown>,
  method: string,
  request: unknown,
  options: { deadline?: Date } = {},
): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, options, (err: ServiceError | null, value: T) =>
      err ? reject(err) : resolve(value),
    ),
  );
}

const stream = { container_id: 'c', exec_id: 'e' };

test('grpc-js client: answers, status texts with any characters, unknown methods', async () => {
  const text = 'bad value: 100% "quoted"\nline two, ünïcödé ✓';
  await withServer(
    {
      startContainer: async (req) => {
        if (req.container_id === 'bad') throw invalidArgument(text);
        return {};
      },
    },
    async (h) => {
      const c = h.client();
      assert.deepEqual(await unary(c, 'startContainer', { container_id: 'ok' }), {});
      await assert.rejects(unary(c, 'startContainer', { container_id: 'bad' }), (e: ServiceError) => {
        assert.equal(Number(e.code), Code.INVALID_ARGUMENT);
        assert.equal(e.details, text);
        return true;
      });
      await assert.rejects(unary(c, 'pauseContainer', { container_id: 'x' }), (e: ServiceError) => {
        assert.equal(Number(e.code), Code.UNIMPLEMENTED);
        assert.equal(e.details, 'PauseContainer is not implemented by this agent');
        return true;
      });
    },
  );
});

test('grpc-js client: gzip-compressed requests and 8 MiB messages both ways arrive intact', async () => {
  const big = Buffer.alloc(8 << 20);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  await withServer(
    {
      writeStdin: async (req) => ({
        len: req.data.length === big.length && digest(req.data) === digest(big) ? 1 : 0,
      }),
      readStdout: async () => ({ data: big }),
      readStderr: async () => ({ data: Buffer.alloc(0) }),
    },
    async (h) => {
      for (const compression of [0, 2]) {
        const c = h.client({
          'grpc.default_compression_algorithm': compression,
          'grpc.max_receive_message_length': 16 << 20,
        });
        assert.deepEqual(await unary(c, 'writeStdin', { ...stream, data: big }), { len: 1 });
        const out = await unary<{ data: Buffer }>(c, 'readStdout', { ...stream, len: big.length });
        assert.equal(digest(out.data), digest(big));
      }
      // An empty read is an empty message: nothing after the frame header.
      const empty = await rawCall(h.socket, '/grpc.AgentService/ReadStderr', frame(Buffer.alloc(0)));
      assert.equal(empty.trailers['grpc-status'], '0');
      assert.deepEqual(empty.body, Buffer.alloc(5));
    },
  );
});

test('grpc-js client: a request at the 16 MiB limit arrives whole, one past it is RESOURCE_EXHAUSTED', async () => {
  await withServer({ writeStdin: async (req) => ({ len: req.data.length }) }, async (h) => {
    const c = h.client({ 'grpc.max_send_message_length': 32 << 20 });
    // Exactly 16 MiB: two 3-byte id fields, then data's tag and 4-byte varint length.
    const atLimit = (16 << 20) - 6 - 5;
    assert.deepEqual(
      await unary(c, 'writeStdin', { container_id: 'c', exec_id: 'e', data: Buffer.alloc(atLimit) }),
      {
        len: atLimit,
      },
    );
    await assert.rejects(
      unary(c, 'writeStdin', { container_id: 'c', exec_id: 'e', data: Buffer.alloc(16 << 20) }),
      {
        code: Code.RESOURCE_EXHAUSTED,
      },
    );
  });
});

test('a deadline cancels the handler and answers DEADLINE_EXCEEDED; a client cancel reaches the handler', async () => {
  let cancels = 0;
  await withServer(
    {
      waitProcess: (_req, call) =>
        new Promise((_resolve, reject) =>
          call.onCancel(() => {
            cancels++;
            reject(new Error('cancelled'));
          }),
        ),
    },
    async (h) => {
      const c = h.client();
      const started = Date.now();
      await assert.rejects(
        unary(c, 'waitProcess', stream, { deadline: new Date(Date.now() + 150) }),
        (e: ServiceError) => Number(e.code) === Code.DEADLINE_EXCEEDED,
      );
      assert.ok(Date.now() - started < 2000);
      await waitFor(() => cancels === 1);
      const call = c.waitProcess(stream, () => undefined) as { cancel(): void };
      await new Promise((r) => setTimeout(r, 50));
      call.cancel();
      await waitFor(() => cancels === 2);
    },
  );
});

test('a deadline past the timer range (600 hours) is no deadline, not an expired one', async () => {
  await withServer(
    { startContainer: () => new Promise((resolve) => setTimeout(() => resolve({}), 100)) },
    async (h) => {
      const c = h.client();
      const farAway = new Date(Date.now() + 600 * 3_600_000);
      assert.deepEqual(await unary(c, 'startContainer', { container_id: 'x' }, { deadline: farAway }), {});
    },
  );
});

test('raw HTTP/2: malformed calls get statuses, and the session keeps serving', async () => {
  await withServer({ startContainer: async () => ({}) }, async (h) => {
    const path = '/grpc.AgentService/StartContainer';
    const status = async (body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<string> =>
      String((await rawCall(h.socket, path, body, headers)).trailers['grpc-status']);
    assert.equal(await status(Buffer.from([0, 0, 0])), String(Code.INTERNAL));
    assert.equal(
      await status(Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))])),
      String(Code.INTERNAL),
    );
    assert.equal(await status(frame(Buffer.alloc(4)).subarray(0, 7)), String(Code.INTERNAL));
    const compressed = Buffer.concat([Buffer.from([1, 0, 0, 0, 3]), Buffer.from('abc')]);
    assert.equal(await status(compressed, { 'grpc-encoding': 'snappy' }), String(Code.UNIMPLEMENTED));
    assert.equal(await status(compressed, { 'grpc-encoding': 'gzip' }), String(Code.INTERNAL));
    const huge = Buffer.alloc(5);
    huge.writeUInt32BE(64 << 20, 1);
    assert.equal(await status(huge), String(Code.RESOURCE_EXHAUSTED));
    assert.equal(await status(frame(Buffer.alloc(0))), '0');
    const notGrpc = await rawCall(h.socket, path, Buffer.alloc(0), { 'content-type': 'text/plain' });
    assert.equal(notGrpc.headers[':status'], 415);
  });
});

test('oversized streamed bodies get RESOURCE_EXHAUSTED; a compressed flag without grpc-encoding is INTERNAL', async () => {
  await withServer({ startContainer: async () => ({}) }, async (h) => {
    const path = '/grpc.AgentService/StartContainer';
    const status = async (body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<string> =>
      String((await rawCall(h.socket, path, body, headers)).trailers['grpc-status']);
    // 64 MiB streamed, with an honest length prefix and with a small lying one.
    const big = Buffer.alloc(64 << 20);
    big.writeUInt32BE(big.length - 5, 1);
    assert.equal(await status(big), String(Code.RESOURCE_EXHAUSTED));
    big.writeUInt32BE(10, 1);
    assert.equal(await status(big), String(Code.RESOURCE_EXHAUSTED));
    // Other calls on the same connection are unaffected by the refused upload.
    const session = http2.connect('http://agent', {
      createConnection: () => net.connect(h.socket),
      maxSessionMemory: 512,
    });
    try {
      const upload = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
      });
      upload.on('error', () => undefined);
      upload.write(big);
      const answers = await Promise.all(
        Array.from({ length: 3 }, () => callOn(session, path, frame(Buffer.alloc(0)))),
      );
      assert.deepEqual(answers, ['0', '0', '0']);
    } finally {
      session.close();
    }
    const compressed = Buffer.concat([Buffer.from([1, 0, 0, 0, 3]), Buffer.from('abc')]);
    assert.equal(await status(compressed), String(Code.INTERNAL));
    assert.equal(await status(frame(Buffer.alloc(0))), '0', 'the server still answers');
  });
});

test('shutdown lets a running call finish within the grace period', async () => {
  let release!: () => void;
  await withServer(
    { startContainer: () => new Promise((resolve) => (release = () => resolve({}))) },
    async (h) => {
      const c = h.client();
      const answer = unary(c, 'startContainer', { container_id: 'x' });
      await waitFor(() => release !== undefined);
      const down = h.server.shutdown(2000);
      setTimeout(() => release(), 100);
      assert.deepEqual(await answer, {});
      await down;
    },
  );
});

test('grpc-timeout and grpc-message encodings', () => {
  assert.equal(parseTimeout('100m'), 100);
  assert.equal(parseTimeout('2S'), 2000);
  assert.equal(parseTimeout('1H'), 3_600_000);
  assert.equal(parseTimeout('5u'), 1);
  assert.equal(parseTimeout('123456789m'), undefined);
  // Past what a timer can hold (2^31 - 1 ms, about 24.8 days) a deadline means "none in practice".
  assert.equal(parseTimeout('597H'), undefined);
  assert.equal(parseTimeout('2592000S'), undefined);
  assert.equal(parseTimeout('99999999H'), undefined);
  assert.equal(parseTimeout('596H'), 596 * 3_600_000);
  assert.equal(parseTimeout('10x'), undefined);
  assert.equal(parseTimeout(undefined), undefined);
  assert.equal(percentEncode('plain text'), 'plain text');
  assert.equal(percentEncode('50%\n'), '50%25%0A');
  assert.equal(percentEncode('é'), '%C3%A9');
  assert.equal(percentEncode('\ud800'), '%EF%BF%BD');
});

function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

async function rawCall(
  socket: string,
  path: string,
  body: Buffer,
  extra: http2.OutgoingHttpHeaders = {},
): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }> {
  const session = http2.connect('http://agent', {
    createConnection: () => net.connect(socket),
    maxSessionMemory: 512,
  });
  try {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...extra,
    });
    req.end(body);
    return await new Promise((resolve, reject) => {
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => (headers = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', (c: Buffer) => chunks.push(c));
      // A server may reset the stream right after its status to stop an upload: the status counts.
      req.on('error', (err) => (headers['grpc-status'] === undefined ? reject(err) : req.emit('close')));
      // A Trailers-Only answer carries grpc-status in its only headers frame.
      req.on('close', () =>
        resolve({ headers, trailers: { ...headers, ...trailers }, body: Buffer.concat(chunks) }),
      );
    });
  } finally {
    session.close();
  }
}

/** One call on an existing session; resolves with its grpc-status. */
function callOn(session: http2.ClientHttp2Session, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status = '';
    req.on('response', (h) => (status = String(h['grpc-status'] ?? status)));
    req.on('trailers', (t) => (status = String(t['grpc-status'] ?? status)));
    req.on('error', reject);
    req.on('close', () => resolve(status));
    req.resume();
    req.end(body);
  });
}
