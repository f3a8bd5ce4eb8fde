// Interoperability with hashicorp's Go yamux, both directions, with
// checksummed concurrent streams and gRPC carried over the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { Session } from '../../src/transport/yamux';
import { exercise, serveCommand } from '../helpers/stream-exercise';
import { startGoPeer, yamuxPeerBinary } from '../../tools/testkit/yamux-peer';
import { startTestAgent } from '../../tools/testkit/agent';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { HealthCheckResponse_ServingStatus } from '../../src/generated/health';

const MiB = 1024 * 1024;

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'yamux-go-'));
}

test('the Go peer builds offline', () => {
  assert.ok(yamuxPeerBinary());
});

test('TS client drives a Go server: 12 concurrent streams of 3 MiB, checksummed', async () => {
  const dir = tempDir();
  const peer = startGoPeer(['-listen', path.join(dir, 'peer.sock'), '-role', 'server']);
  try {
    await peer.line('ready');
    const session = new Session(await connectUnix(path.join(dir, 'peer.sock')), { role: 'client' });
    assert.ok((await session.ping()) >= 0);
    await exercise(() => session.openStream(), 12, 3 * MiB);
    assert.equal(session.streamCount, 0, 'every stream was forgotten after closing both ways');
    session.close();
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a TS client granting a 2 MiB window interoperates with Go', async () => {
  const dir = tempDir();
  const peer = startGoPeer(['-listen', path.join(dir, 'peer.sock'), '-role', 'server']);
  try {
    await peer.line('ready');
    const conn = await connectUnix(path.join(dir, 'peer.sock'));
    const session = new Session(conn, { role: 'client', maxStreamWindow: 2 * MiB, maxFrame: 256 * 1024 });
    await exercise(() => session.openStream(), 6, 4 * MiB);
    session.close();
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Go client drives a TS server: 12 concurrent streams of 3 MiB, checksummed', async () => {
  const dir = tempDir();
  const sock = path.join(dir, 'ts.sock');
  const sessions: Session[] = [];
  const server = net.createServer((conn) => {
    const s = new Session(conn, { role: 'server' });
    s.on('stream', (stream) => void serveCommand(stream));
    sessions.push(s);
  });
  server.listen(sock);
  await once(server, 'listening');
  const peer = startGoPeer(['-dial', sock, '-role', 'client', '-drive', `12,${3 * MiB}`]);
  try {
    const ok = await peer.line('ok');
    assert.match(ok, /^ok /);
    assert.equal(await peer.exited, 0, peer.stderr());
    // The Go client closing its connection ends our session.
    if (!sessions[0].closed) await once(sessions[0], 'close');
  } finally {
    await peer.stop();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Go keepalive pings are answered; TS pings get Go answers', async () => {
  const dir = tempDir();
  const sock = path.join(dir, 'ts.sock');
  let session: Session | undefined;
  const server = net.createServer((conn) => {
    session = new Session(conn, { role: 'server', keepAliveIntervalMs: 20, pingTimeoutMs: 2000 });
    session.on('stream', (stream) => void serveCommand(stream));
  });
  server.listen(sock);
  await once(server, 'listening');
  const peer = startGoPeer(['-dial', sock, '-role', 'client', '-keepalive', '10ms']);
  try {
    await peer.line('ready');
    for (let i = 0; i < 5; i++) assert.ok((await session!.ping()) >= 0);
    assert.ok(session!.open);
  } finally {
    await peer.stop();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gRPC over a TS yamux client stream through the Go server to the agent', async () => {
  const agent = await startTestAgent();
  const dir = tempDir();
  const peer = startGoPeer(['-listen', path.join(dir, 'peer.sock'), '-role', 'server']);
  try {
    await peer.line('ready');
    const session = new Session(await connectUnix(path.join(dir, 'peer.sock')), { role: 'client' });
    const clients = [0, 1, 2].map(() => {
      const stream = session.openStream();
      stream.write(`forward ${agent.socket}\n`);
      return new AgentClient(stream);
    });
    for (const c of clients) {
      const res = await c.health.check({ service: '' });
      assert.equal(res.status, HealthCheckResponse_ServingStatus.SERVING);
    }
    for (const c of clients) c.destroy();
    session.close();
  } finally {
    await peer.stop();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gRPC from connections the Go client relays as streams into a TS yamux server', async () => {
  const agent = await startTestAgent();
  const dir = tempDir();
  const sock = path.join(dir, 'serial.sock');
  const server = net.createServer((conn) => {
    const s = new Session(conn, { role: 'server' });
    s.on('stream', (stream) => agent.agent.server.inject(stream));
  });
  server.listen(sock);
  await once(server, 'listening');
  const proxy = path.join(dir, 'proxy.sock');
  const peer = startGoPeer(['-dial', sock, '-role', 'client', '-proxy', proxy]);
  try {
    await peer.line('ready');
    const clients = await Promise.all([0, 1, 2].map(async () => new AgentClient(await connectUnix(proxy))));
    const answers = await Promise.all(clients.map((c) => c.health.version({ service: '' })));
    for (const a of answers) assert.equal(a.grpc_version, '0.0.1');
    for (const c of clients) c.destroy();
  } finally {
    await peer.stop();
    server.close();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
