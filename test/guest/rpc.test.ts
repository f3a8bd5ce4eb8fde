// The guest RPCs over gRPC, through the agent's composition root (fake sysfs root,
// temporary guest root), and with injected clock and entropy where the real ones
// belong to this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Code as Status } from '../../src/common/status';
import { RpcError } from '../../src/client/grpc-unary';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { defaultConfig } from '../../src/config/options';
import { createGuestOperations } from '../../src/guest';
import { createLogger } from '../../src/logging/logger';
import { guestHandlers } from '../../src/rpc/handlers/guest';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { AgentServer } from '../../src/rpc/server';
import { listenUnix } from '../../src/transport/unix';
import { startTestAgent } from '../../tools/testkit/agent';
import { FakeSysfs } from '../helpers/fake-sysfs';

const rpcError = (code: Status, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof RpcError, String(err));
  assert.equal(err.code, code, err.details);
  assert.match(err.details, message);
  return true;
};

test('guest RPCs through the agent', async (t) => {
  const fake = new FakeSysfs();
  const guestRoot = mkdtempSync(path.join(os.tmpdir(), 'guest-rpc-'));
  mkdirSync(path.join(guestRoot, 'run'));
  const agent = await startTestAgent({ sysRoot: fake.root, guestRoot, copyFileMaxBytes: 64 });
  t.after(async () => {
    await agent.stop();
    rmSync(guestRoot, { recursive: true, force: true });
    fake.remove();
  });
  const client = (await agent.client()).agent;
  fake.file('sys/devices/system/memory/block_size_bytes', '8000000\n');
  fake.file('sys/devices/system/memory/probe', '');

  const details = await client.getGuestDetails({ mem_block_size: true, mem_hotplug_probe: true });
  assert.equal(details.mem_block_size_bytes, 134217728n);
  assert.equal(details.support_mem_hotplug_probe, true);
  assert.ok(details.agent_details?.device_handlers.includes('vfio'));
  assert.ok(details.agent_details?.storage_handlers.includes('virtio-fs'));
  assert.equal(details.agent_details?.init_daemon, false);

  const base = { file_size: 10n, file_mode: 0o644, dir_mode: 0o755, uid: -1, gid: -1 };
  await client.copyFile({ ...base, path: '/run/a/b', offset: 0n, data: Buffer.from('01234') });
  await client.copyFile({ ...base, path: '/run/a/b', offset: 5n, data: Buffer.from('56789') });
  assert.equal(readFileSync(path.join(guestRoot, 'run/a/b'), 'utf8'), '0123456789');
  await assert.rejects(
    client.copyFile({ ...base, path: '/run2/x', offset: 0n, data: Buffer.from('x') }),
    rpcError(Status.INVALID_ARGUMENT, /not below \/run/),
  );
  await assert.rejects(
    client.copyFile({ ...base, path: '/run/big', file_size: 65n, offset: 0n, data: Buffer.alloc(0) }),
    rpcError(Status.INVALID_ARGUMENT, /exceeds the limit of 64 bytes/),
  );

  await client.memHotplugByProbe({ memHotplugProbeAddr: [0x240000000n] });
  assert.equal(readFileSync(fake.paths.memoryProbe, 'utf8'), '0x240000000');

  fake.file('sys/devices/system/cpu/cpu1/online', '0\n');
  fake.file('sys/devices/system/cpu/online', '0-1\n');
  fake.dir('sys/devices/system/memory/memory0');
  await client.onlineCPUMem({ wait: true, nb_cpus: 1, cpu_only: false });
  assert.equal(readFileSync(fake.paths.sys('devices/system/cpu/cpu1/online'), 'utf8'), '1');
  await assert.rejects(
    client.onlineCPUMem({ wait: true, nb_cpus: 0, cpu_only: true }),
    rpcError(Status.INVALID_ARGUMENT, /must be greater than 0/),
  );
  // Without wait, the answer comes at once and a failure is only logged.
  await client.onlineCPUMem({ wait: false, nb_cpus: 5, cpu_only: true });
  await assert.rejects(
    client.reseedRandomDev({ data: Buffer.alloc(0) }),
    rpcError(Status.INVALID_ARGUMENT, /missing entropy data/),
  );
});

test('SetGuestDateTime and ReseedRandomDev reach the injected clock and entropy calls', async (t) => {
  const fake = new FakeSysfs();
  fake.file('dev/random', '');
  const { logger } = createLogger({ level: 'silent' });
  const clockCalls: [number, number][] = [];
  const entropyCalls: string[] = [];
  const ops = createGuestOperations({ ...defaultConfig(), sysRoot: fake.root }, logger, {
    capabilities: { deviceHandlers: () => [], storageDrivers: () => [] },
    clock: (sec, usec) => void clockCalls.push([sec, usec]),
    entropy: {
      addEntropy: (_fd, data) => void entropyCalls.push(`add ${data.length}`),
      reseedCrng: () => void entropyCalls.push('reseed'),
    },
  });
  const server = new AgentServer({ agent: guestHandlers(ops), health: healthHandlers(), log: logger });
  const socket = path.join(fake.root, 'agent.sock');
  const listener = await listenUnix(socket, (c) => server.inject(c));
  const client = new AgentClient(await connectUnix(socket));
  t.after(async () => {
    client.destroy();
    await listener.close();
    await server.shutdown();
    fake.remove();
  });
  await client.agent.setGuestDateTime({ Sec: 1767225600n, Usec: 42n });
  assert.deepEqual(clockCalls, [[1767225600, 42]]);
  await assert.rejects(
    client.agent.setGuestDateTime({ Sec: 1n, Usec: 2_000_000n }),
    rpcError(Status.INVALID_ARGUMENT, /Usec 2000000/),
  );
  await client.agent.reseedRandomDev({ data: Buffer.from('0123456789abcdef') });
  assert.deepEqual(entropyCalls, ['add 16', 'reseed']);
  assert.equal(readFileSync(fake.paths.randomDevice, 'utf8'), '0123456789abcdef');
});
