// UnaryChannel against a bare node:http2 server on a unix socket pair: the
// message framing, statuses, grpc-message decoding, timeouts and connection loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { Code as status } from '../../src/common/status';
import { RpcError, UnaryChannel } from '../../src/client/grpc-unary';
import { unixSocketPair } from '../../tools/testkit/socket-pair';

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

async function withServer(handler: Handler, body: (channel: UnaryChannel) => Promise<void>): Promise<void> {
  const [client, peer] = await unixSocketPair();
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('error', () => {});
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => handler(stream, headers, Buffer.concat(chunks)));
  });
  server.emit('connection', peer);
  const channel = new UnaryChannel(client);
  try {
    await body(channel);
  } finally {
    channel.destroy();
    peer.destroy();
    server.close();
  }
}

function answer(stream: http2.ServerHttp2Stream, data: Buffer, trailers: http2.OutgoingHttpHeaders): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end(data);
}

const echo: Handler = (stream, _headers, body) => answer(stream, body, { 'grpc-status': '0' });

test('the request goes as one gRPC frame and the answer comes back, small or large', async () => {
  await withServer(echo, async (channel) => {
    for (const size of [0, 100, 16 * 1024, 16 * 1024 + 1, 100_000, 3 * 1024 * 1024]) {
      const message = Buffer.alloc(size);
      for (let i = 0; i < size; i++) message[i] = (i * 7) & 0xff;
      assert.deepEqual(await channel.call('/x.Y/Echo', message), message, `size ${size}`);
    }
  });
});

test('headers: path, content-type, te, metadata and grpc-timeout', async () => {
  let seen: http2.IncomingHttpHeaders = {};
  const handler: Handler = (stream, headers, body) => {
    seen = headers;
    echo(stream, headers, body);
  };
  await withServer(handler, async (channel) => {
    await channel.call('/x.Y/Z', Buffer.from('a'), { timeoutMs: 1500.2, metadata: { 'x-trace': 't1' } });
    assert.equal(seen[':path'], '/x.Y/Z');
    assert.equal(seen[':method'], 'POST');
    assert.equal(seen['content-type'], 'application/grpc');
    assert.equal(seen.te, 'trailers');
    assert.equal(seen['x-trace'], 't1');
    assert.equal(seen['grpc-timeout'], '1501m');
    await channel.call('/x.Y/Z', Buffer.from('a'));
    assert.equal(seen['grpc-timeout'], undefined);
  });
});

test('a status in the trailers or in a trailers-only answer, grpc-message percent-decoded', async () => {
  const handler: Handler = (stream, headers) => {
    if (headers[':path'] === '/x.Y/TrailersOnly') {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '5',
          'grpc-message': 'no%20such',
        },
        { endStream: true },
      );
      return;
    }
    if (headers[':path'] === '/x.Y/Malformed') {
      answer(stream, Buffer.alloc(0), { 'grpc-status': '13', 'grpc-message': 'cut %E0 short %' });
      return;
    }
    answer(stream, Buffer.alloc(0), { 'grpc-status': '9', 'grpc-message': 'bad%20%C3%A9tat%25' });
  };
  await withServer(handler, async (channel) => {
    await assert.rejects(
      channel.call('/x.Y/TrailersOnly', Buffer.alloc(0)),
      (err: RpcError) =>
        err instanceof RpcError && err.code === status.NOT_FOUND && err.details === 'no such',
    );
    await assert.rejects(
      channel.call('/x.Y/Trailers', Buffer.alloc(0)),
      (err: RpcError) => err.code === status.FAILED_PRECONDITION && err.details === 'bad état%',
    );
    // A server's malformed escape is shown as sent, not thrown from the stream's handler.
    await assert.rejects(
      channel.call('/x.Y/Malformed', Buffer.alloc(0)),
      (err: RpcError) => err.code === status.INTERNAL && err.details === 'cut %E0 short %',
    );
  });
});

test('no status is UNAVAILABLE, OK without a message is INTERNAL', async () => {
  const handler: Handler = (stream, headers) => {
    if (headers[':path'] === '/x.Y/Reset') stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    else answer(stream, Buffer.alloc(3), { 'grpc-status': '0' });
  };
  await withServer(handler, async (channel) => {
    await assert.rejects(
      channel.call('/x.Y/Reset', Buffer.alloc(0)),
      (err: RpcError) => err.code === status.UNAVAILABLE,
    );
    await assert.rejects(
      channel.call('/x.Y/Short', Buffer.alloc(0)),
      (err: RpcError) => err.code === status.INTERNAL && err.details === 'response without a message',
    );
  });
});

test('a timeout cancels the call with DEADLINE_EXCEEDED and the channel keeps working', async () => {
  const handler: Handler = (stream, headers, body) => {
    if (headers[':path'] !== '/x.Y/Hang') echo(stream, headers, body);
  };
  await withServer(handler, async (channel) => {
    await assert.rejects(
      channel.call('/x.Y/Hang', Buffer.alloc(0), { timeoutMs: 50 }),
      (err: RpcError) => err.code === status.DEADLINE_EXCEEDED && err.details === 'no answer within 50 ms',
    );
    assert.deepEqual(
      await channel.call('/x.Y/Echo', Buffer.from('ok'), { timeoutMs: 5000 }),
      Buffer.from('ok'),
    );
  });
});

test('losing the connection fails the call in flight and every later one with UNAVAILABLE', async () => {
  const [client, peer] = await unixSocketPair();
  const server = http2.createServer();
  server.on('stream', () => peer.destroy());
  server.emit('connection', peer);
  const channel = new UnaryChannel(client);
  try {
    await assert.rejects(
      channel.call('/x.Y/Z', Buffer.alloc(0)),
      (err: RpcError) => err.code === status.UNAVAILABLE,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await assert.rejects(
      channel.call('/x.Y/Z', Buffer.alloc(0)),
      (err: RpcError) => err.code === status.UNAVAILABLE,
    );
  } finally {
    channel.destroy();
    server.close();
  }
});
