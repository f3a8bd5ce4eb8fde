// Load from an HTTP/2 client that is neither grpc-go nor Node: nghttp2's
// h2load (Debian's nghttp2-client) against the agent's unix socket, many
// streams in flight on several connections. Every call must be answered, and
// the agent must answer normally afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { createLogger } from '../../src/logging/logger';
import { listenUnix } from '../../src/transport/unix';
import { RawH2 } from '../../tools/testkit/raw-h2';

const run = promisify(execFile);

test('h2load: 20,000 Health.Checks on 4 connections, 16 streams each in flight, all answered', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kata-h2load-'));
  const { logger } = createLogger({ level: 'silent' });
  const server = new AgentServer({ agent: {}, health: healthHandlers(), log: logger });
  const socket = path.join(dir, 'agent.sock');
  const listener = await listenUnix(socket, (c) => server.inject(c));
  try {
    // An empty CheckRequest, gRPC-framed.
    writeFileSync(path.join(dir, 'body'), Buffer.alloc(5));
    const { stdout } = await run('h2load', [
      `--base-uri=unix:${socket}`,
      '-n',
      '20000',
      '-c',
      '4',
      '-m',
      '16',
      '-d',
      path.join(dir, 'body'),
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      'http://vsock:1024/grpc.Health/Check',
    ]);
    assert.match(
      stdout,
      /requests: 20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, 0 errored, 0 timeout/,
    );
    assert.match(stdout, /status codes: 20000 2xx/);
    const c = await RawH2.connect(socket);
    c.call(1);
    assert.equal((await c.streamEnd(1)).type, 0x1, 'answered with trailers after the load');
    c.close();
  } finally {
    await listener.close();
    await server.shutdown(100);
    rmSync(dir, { recursive: true, force: true });
  }
});
