// withSpan(): child spans of the current RPC across awaits, errors recorded, and
// a plain call when tracing is off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code as status } from '../../src/common/status';
import { SpanStatusCode } from '@opentelemetry/api';
import { AgentServer } from '../../src/rpc/server';
import { healthHandlers } from '../../src/rpc/handlers/health';
import { tracingHandlers } from '../../src/rpc/handlers/tracing';
import { createLogger } from '../../src/logging/logger';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { listenUnix } from '../../src/transport/unix';
import type { RpcError } from '../../src/client/grpc-unary';
import { invalidArgument } from '../../src/common/errors';
import { AgentTracing } from '../../src/tracing/tracing';
import { tracingActive, withSpan } from '../../src/tracing/span-api';
import type { AgentHandlers } from '../../src/rpc/types';
import { KeptSpans, isChildOf } from '../helpers/spans';

// Stand-ins for a module's work: a runtime call with a mount inside it.
const handlers: Partial<AgentHandlers> = {
  startContainer: async (req) =>
    withSpan('runtime.start', { container_id: req.container_id }, async () => {
      await withSpan('mount', { target: '/run/x' }, () => sleep(5));
      // Two waits at once: both are children of runtime.start.
      await Promise.all([
        withSpan('device.wait', { device: 'a' }, () => sleep(2)),
        withSpan('device.wait', { device: 'b' }, () => sleep(1)),
      ]);
      return {};
    }),
  removeContainer: async (req) => {
    await withSpan('runtime.delete', { container_id: req.container_id }, async () => {
      await sleep(1);
      throw invalidArgument('no such state');
    });
    return {};
  },
  // A synchronous span: its value comes back as is.
  pauseContainer: async () => {
    const n = withSpan('sync.work', {}, () => 41 + 1);
    assert.equal(n, 42);
    return {};
  },
};

async function withTracedServer(
  spans: KeptSpans,
  fn: (c: AgentClient, tracing: AgentTracing) => Promise<void>,
): Promise<void> {
  const { logger } = createLogger({ level: 'silent' });
  const tracing = new AgentTracing({
    mode: 'off',
    endpoint: 'vsock://2:4318',
    log: logger,
    exporterFactory: () => spans,
  });
  const server = new AgentServer({
    agent: tracing.wrap({ ...handlers, ...tracingHandlers(tracing) }),
    health: tracing.wrap(healthHandlers()),
    log: logger,
    observers: [tracing.observer],
  });
  const socket = path.join(
    os.tmpdir(),
    `kata-span-${process.pid}-${Math.random().toString(36).slice(2)}.sock`,
  );
  const listener = await listenUnix(socket, (c) => server.inject(c));
  const client = new AgentClient(await connectUnix(socket));
  try {
    await fn(client, tracing);
  } finally {
    client.destroy();
    await listener.close();
    await server.shutdown(100);
    await tracing.shutdown();
  }
}

test('withSpan nests under the RPC span across awaits and parallel work', async () => {
  const spans = new KeptSpans();
  await withTracedServer(spans, async (c) => {
    await c.agent.startTracing({});
    await c.agent.startContainer({ container_id: 'c1' });
    await c.agent.stopTracing({});
  });
  const rpc = spans.one('/grpc.AgentService/StartContainer');
  const runtime = spans.one('runtime.start');
  assert.ok(isChildOf(rpc, spans.one('kata-agent')));
  assert.ok(isChildOf(runtime, rpc));
  assert.equal(runtime.attributes.container_id, 'c1');
  assert.ok(isChildOf(spans.one('mount'), runtime));
  const waits = spans.named('device.wait');
  assert.deepEqual(waits.map((w) => w.attributes.device).sort(), ['a', 'b']);
  for (const w of waits) assert.ok(isChildOf(w, runtime));
});

test('a failing span records the error; the RPC answers with the error code', async () => {
  const spans = new KeptSpans();
  await withTracedServer(spans, async (c) => {
    await c.agent.startTracing({});
    await assert.rejects(
      c.agent.removeContainer({ container_id: 'c1', timeout: 0 }),
      (e: RpcError) => e.code === status.INVALID_ARGUMENT,
    );
    await c.agent.pauseContainer({ container_id: 'c1' });
    await c.agent.stopTracing({});
  });
  const failed = spans.one('runtime.delete');
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  assert.equal(failed.status.message, 'no such state');
  assert.equal(failed.events[0]?.name, 'exception');
  const rpc = spans.one('/grpc.AgentService/RemoveContainer');
  assert.ok(isChildOf(failed, rpc));
  assert.equal(rpc.attributes['rpc.grpc.status_code'], status.INVALID_ARGUMENT);
  assert.ok(isChildOf(spans.one('sync.work'), spans.one('/grpc.AgentService/PauseContainer')));
});

test('with tracing off withSpan just runs the function', async () => {
  const spans = new KeptSpans();
  await withTracedServer(spans, async (c) => {
    await c.agent.startContainer({ container_id: 'c1' });
    await c.agent.pauseContainer({ container_id: 'c1' });
  });
  assert.equal(spans.getFinishedSpans().length, 0);
  assert.equal(tracingActive(), false);
  assert.equal(
    withSpan('x', {}, () => 7),
    7,
  );
  assert.throws(() =>
    withSpan('x', {}, () => {
      throw new Error('plain');
    }),
  );
});

test('work outside any RPC becomes a child of the root span while tracing is on', async () => {
  const spans = new KeptSpans();
  await withTracedServer(spans, async (c) => {
    await c.agent.startTracing({});
    assert.equal(tracingActive(), true);
    await withSpan('uevent', { 'udev-action': 'add' }, () => sleep(1));
    await c.agent.stopTracing({});
    assert.equal(tracingActive(), false);
  });
  assert.ok(isChildOf(spans.one('uevent'), spans.one('kata-agent')));
});
