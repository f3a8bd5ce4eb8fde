// Channel selection, listen addresses, and the unix, vsock and serial channels
// serving real gRPC clients (over HTTP/2 directly or through yamux).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  detectChannel,
  findSerialPort,
  parseListenAddress,
  vsockAvailable,
} from '../../src/transport/channels';
import { listenVsock, VSOCK_CID_ANY } from '../../src/transport/vsock';
import { SerialChannel } from '../../src/transport/serial';
import { Session } from '../../src/transport/yamux';
import { yamuxUnixDialer, openYamuxSessions } from '../../src/transport/yamux-dialer';
import { native } from '../../src/native/index';
import { adoptStream } from '../../src/native/adopt';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { createLogger, type AgentLogging } from '../../src/logging/logger';
import { startAgent } from '../../src/agent';
import { defaultConfig } from '../../src/config/options';
import { HealthCheckResponse_ServingStatus } from '../../src/generated/health';
import { within } from '../helpers/native';
import { waitFor } from '../helpers/wait-for';

const SERVING = HealthCheckResponse_ServingStatus.SERVING;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'channels-'));
}

function capturedLogging(): AgentLogging & { lines: string[] } {
  const lines: string[] = [];
  return { ...createLogger({ level: 'info', primary: (l) => lines.push(l) }), lines };
}

test('listen addresses', () => {
  assert.deepEqual(parseListenAddress('auto'), { kind: 'auto' });
  assert.deepEqual(parseListenAddress('unix:///run/a.sock'), { kind: 'unix', path: '/run/a.sock' });
  assert.deepEqual(parseListenAddress('vsock://any:1024'), { kind: 'vsock', cid: VSOCK_CID_ANY, port: 1024 });
  assert.deepEqual(parseListenAddress('vsock://3:5000'), { kind: 'vsock', cid: 3, port: 5000 });
  assert.deepEqual(parseListenAddress('serial:///dev/vport0p1'), { kind: 'serial', path: '/dev/vport0p1' });
  for (const bad of ['', 'vsock://any', 'vsock://x:1', 'vsock://1:99999999999', 'unix://rel', 'tcp://1:2'])
    assert.throws(() => parseListenAddress(bad), /listen/, bad);
});

function fakeSys(): string {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'sys/bus/virtio/drivers/vmw_vsock_virtio_transport'), { recursive: true });
  fs.mkdirSync(path.join(root, 'sys/class/virtio-ports'), { recursive: true });
  return root;
}

function addSerialPort(root: string, port: string, name: string): void {
  fs.mkdirSync(path.join(root, 'sys/class/virtio-ports', port), { recursive: true });
  fs.writeFileSync(path.join(root, 'sys/class/virtio-ports', port, 'name'), name + '\n');
}

function bindVsockDevice(root: string): void {
  fs.symlinkSync(
    '../../../../devices/pci0000:00/0000:00:05.0/virtio4',
    path.join(root, 'sys/bus/virtio/drivers/vmw_vsock_virtio_transport/virtio4'),
  );
}

test('vsock counts as available only with a bound virtio vsock device and AF_VSOCK', () => {
  const root = fakeSys();
  try {
    assert.equal(
      vsockAvailable(root, () => true),
      false,
    );
    fs.writeFileSync(path.join(root, 'sys/bus/virtio/drivers/vmw_vsock_virtio_transport/uevent'), '');
    assert.equal(
      vsockAvailable(root, () => true),
      false,
      'a plain file is not a bound device',
    );
    bindVsockDevice(root);
    assert.equal(
      vsockAvailable(root, () => true),
      true,
    );
    assert.equal(
      vsockAvailable(root, () => false),
      false,
    );
    assert.equal(
      vsockAvailable(path.join(root, 'missing'), () => true),
      false,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the serial port is the one whose name contains agent.channel.0', () => {
  const root = fakeSys();
  try {
    assert.equal(findSerialPort(root), undefined);
    addSerialPort(root, 'vport0p0', 'org.qemu.guest_agent.0');
    fs.mkdirSync(path.join(root, 'sys/class/virtio-ports/vport0p2'));
    assert.equal(findSerialPort(root), undefined);
    addSerialPort(root, 'vport0p1', 'agent.channel.0');
    assert.equal(findSerialPort(root), path.join(root, 'dev/vport0p1'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('channel detection follows agent.use_vsock and waits for late devices', async () => {
  const root = fakeSys();
  const fast = { sysRoot: root, attempts: 3, intervalMs: 1, afVsock: () => true };
  try {
    await assert.rejects(detectChannel({ ...fast, useVsock: undefined }), /Neither vsocks nor serial ports/i);
    addSerialPort(root, 'vport1p1', 'agent.channel.0');
    assert.deepEqual(await detectChannel({ ...fast, useVsock: undefined }), {
      kind: 'serial',
      path: path.join(root, 'dev/vport1p1'),
    });
    await assert.rejects(detectChannel({ ...fast, useVsock: true }), /no vsock found/);
    bindVsockDevice(root);
    assert.deepEqual(await detectChannel({ ...fast, useVsock: undefined }), {
      kind: 'vsock',
      cid: VSOCK_CID_ANY,
      port: 1024,
    });
    assert.equal((await detectChannel({ ...fast, useVsock: false })).kind, 'serial');

    // A port that shows up while detection is retrying is found.
    const late = fakeSys();
    const found = detectChannel({ sysRoot: late, useVsock: undefined, attempts: 200, intervalMs: 5 });
    setTimeout(() => addSerialPort(late, 'vport2p1', 'agent.channel.0'), 30);
    assert.equal((await found).kind, 'serial');
    fs.rmSync(late, { recursive: true, force: true });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test(
  'the vsock listener binds, listens and is adopted by a net.Server',
  { skip: !native().vsockAvailable() && 'no AF_VSOCK here' },
  async () => {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const listener = await listenVsock(port, (c) => c.destroy());
    assert.equal(listener.address, `vsock://any:${port}`);
    assert.throws(() => native().vsockListen(VSOCK_CID_ANY, port, 1), { code: 'EADDRINUSE' });
    await listener.close();
    native().close(native().vsockListen(VSOCK_CID_ANY, port, 1));
  },
);

test('the unix channel serves HTTP/2 and yamux clients and refuses garbage with one log line', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'agent.sock');
  const logging = capturedLogging();
  const config = { ...defaultConfig(), listen: [`unix://${socket}`] };
  const agent = await startAgent(config, logging);
  try {
    const plain = new AgentClient(await connectUnix(socket));
    assert.equal((await plain.health.check({ service: '' })).status, SERVING);

    const garbage = await connectUnix(socket);
    garbage.end('GET / HTTP/1.1\r\n\r\n');
    garbage.resume();
    await once(garbage, 'close');
    const refusals = logging.lines.filter((l) => l.includes('speaks neither HTTP/2 nor yamux'));
    assert.equal(refusals.length, 1);
    assert.match(refusals[0], /level=warning/);

    // Three gRPC connections share one yamux session over one unix connection.
    const dial = yamuxUnixDialer(socket);
    const clients = await Promise.all([dial(), dial(), dial()].map(async (s) => new AgentClient(await s)));
    assert.deepEqual(openYamuxSessions(), [socket]);
    const answers = await Promise.all(clients.map((c) => c.health.check({ service: '' })));
    assert.deepEqual(
      answers.map((a) => a.status),
      [SERVING, SERVING, SERVING],
    );
    assert.equal((await plain.health.check({ service: '' })).status, SERVING, 'the first client still works');
    for (const c of clients) c.destroy();
    plain.destroy();
    await waitFor(() => openYamuxSessions().length === 0, { what: 'the shared session to close' });
  } finally {
    await agent.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the serial channel over a pty: yamux streams carry gRPC', async () => {
  const { master, slaveName } = native().openPty();
  // Holding a slave fd keeps the pty alive whoever else opens or closes it.
  const keeper = fs.openSync(slaveName, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  execFileSync('stty', ['-F', slaveName, 'raw', '-echo', '-iexten']);
  const logging = capturedLogging();
  const server = new AgentServer({ agent: {}, health: healthHandlers(), log: logging.logger });
  const channel = new SerialChannel({ path: slaveName, target: server, log: logging.logger });
  const host = new Session(adoptStream(master), { role: 'client' });
  try {
    const clients = Array.from({ length: 5 }, () => new AgentClient(host.openStream()));
    const answers = await Promise.all(clients.map((c) => c.health.version({ service: '' })));
    for (const a of answers) assert.equal(a.grpc_version, '0.0.1');
    assert.equal(channel.sessionCount, 1);
    for (const c of clients) c.destroy();
  } finally {
    host.close();
    await channel.close();
    await server.shutdown();
    fs.closeSync(keeper);
  }
});

test('the serial channel reconnects when the host goes away, after garbage, and after a vanished peer', async () => {
  const dir = tempDir();
  const port = path.join(dir, 'port.sock');
  const host = net.createServer();
  host.listen(port);
  await once(host, 'listening');
  const logging = capturedLogging();
  const server = new AgentServer({ agent: {}, health: healthHandlers(), log: logging.logger });
  const channel = new SerialChannel({ path: port, target: server, log: logging.logger, retryMs: 5 });
  const next = async (): Promise<net.Socket> => ((await once(host, 'connection')) as [net.Socket])[0];
  try {
    // First host connection: a call, then the host closes.
    let conn = await next();
    let session = new Session(conn, { role: 'client' });
    let client = new AgentClient(session.openStream());
    assert.equal((await client.health.check({ service: '' })).status, SERVING);
    session.close();

    // Second: garbage. The channel's session ends with a protocol error and it reconnects.
    conn = await next();
    conn.on('error', () => {});
    conn.write(Buffer.from('\x07garbage that is not yamux'));
    conn.resume();
    await once(conn, 'close');
    assert.equal(logging.lines.filter((l) => l.includes('yamux protocol error')).length, 1);

    // Third: a peer that vanishes in the middle of its connection.
    conn = await next();
    session = new Session(conn, { role: 'client' });
    client = new AgentClient(session.openStream());
    assert.equal((await client.health.check({ service: '' })).status, SERVING);
    assert.equal(server.connectionCount, 1);
    // The channel reconnects within milliseconds: listen for it before waiting.
    const fourth = next();
    conn.destroy();
    await waitFor(() => server.connectionCount === 0, { what: 'the server to drop the connection' });

    // Fourth: serving again.
    conn = await fourth;
    session = new Session(conn, { role: 'client' });
    client = new AgentClient(session.openStream());
    assert.equal((await client.health.check({ service: '' })).status, SERVING);
    assert.equal(channel.sessionCount, 4);
    session.close();
  } finally {
    await channel.close();
    host.close();
    await server.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('kata-agent-ctl reaches the agent through yamux over a unix socket', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'agent.sock');
  const agent = await startAgent({ ...defaultConfig(), listen: [`unix://${socket}`] }, capturedLogging());
  try {
    const ctl = path.join(__dirname, '..', '..', 'src', 'cli', 'ctl.js');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [ctl, '--addr', `yamux+unix://${socket}`, 'health', 'check'],
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      ),
    );
    assert.deepEqual(JSON.parse(out), { status: 'SERVING' });
  } finally {
    await agent.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('shutting the agent down does not wait for connected clients to leave', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'agent.sock');
  const agent = await startAgent({ ...defaultConfig(), listen: [`unix://${socket}`] }, capturedLogging());
  const plain = new AgentClient(await connectUnix(socket));
  const yamux = new AgentClient(await yamuxUnixDialer(socket)());
  try {
    await plain.health.check({ service: '' });
    await yamux.health.check({ service: '' });
    await within(10_000, 'the shutdown', agent.shutdown());
    assert.ok(!fs.existsSync(socket));
  } finally {
    plain.destroy();
    yamux.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
