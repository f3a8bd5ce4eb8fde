// A span per RPC under static tracing (agent.trace), checked in an in-memory
// exporter: names, ids, outcome, and parents in isolated and collated modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import { SpanStatusCode } from '@opentelemetry/api';
import { startTestAgent } from '../../tools/testkit/agent';
import { KeptSpans, isChildOf } from '../helpers/spans';
import type { RpcError } from '../../src/client/grpc-unary';

const HOST_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const HOST_SPAN = '00f067aa0ba902b7';

test('agent.trace: a root span, and one child span per RPC with its ids and outcome', async () => {
  const spans = new KeptSpans();
  const t = await startTestAgent({}, 'agent.trace', { spanExporter: () => spans });
  try {
    assert.equal(t.config.trace, 'isolated');
    const c = await t.client();
    await c.health.check({ service: '' });
    await c.health.version({ service: '' });
    // Refused (no sandbox yet, an empty exec id): the spans must still carry the ids and the failure.
    await assert.rejects(
      c.agent.signalProcess({ container_id: 'c1', exec_id: 'e1', signal: 9 }),
      (e: RpcError) => e.code === status.FAILED_PRECONDITION,
    );
    await assert.rejects(
      c.agent.readStdout({ container_id: 'c1', exec_id: '', len: 10 }),
      (e: RpcError) => e.code === status.INVALID_ARGUMENT,
    );
    // Served by the network module: one that works, one that refuses its request.
    await c.agent.listInterfaces({});
    await assert.rejects(
      c.agent.updateInterface({ interface: undefined }),
      (e: RpcError) => e.code === status.INVALID_ARGUMENT,
    );
  } finally {
    await t.stop();
  }
  // Shutdown ended the root span and flushed everything.
  const root = spans.one('kata-agent');
  assert.equal(root.attributes['root-span'], true);
  assert.equal(root.attributes.source, 'agent');
  assert.equal(root.parentSpanContext, undefined);
  assert.equal(root.resource.attributes['service.name'], 'kata-agent');

  const check = spans.one('/grpc.Health/Check');
  assert.ok(isChildOf(check, root));
  assert.equal(check.attributes['grpc-method-type'], 'unary');
  assert.equal(check.attributes['rpc.service'], 'grpc.Health');
  assert.equal(check.attributes['rpc.grpc.status_code'], status.OK);
  assert.equal(check.status.code, SpanStatusCode.UNSET);
  assert.ok(isChildOf(spans.one('/grpc.Health/Version'), root));

  const signal = spans.one('/grpc.AgentService/SignalProcess');
  assert.ok(isChildOf(signal, root));
  assert.equal(signal.attributes.container_id, 'c1');
  assert.equal(signal.attributes.exec_id, 'e1');
  assert.equal(signal.attributes['rpc.grpc.status_code'], status.FAILED_PRECONDITION);
  assert.equal(signal.status.code, SpanStatusCode.ERROR);
  assert.match(signal.status.message ?? '', /Sandbox not started/);
  assert.equal(signal.attributes['api-category'], undefined);

  const list = spans.one('/grpc.AgentService/ListInterfaces');
  assert.ok(isChildOf(list, root));
  assert.equal(list.status.code, SpanStatusCode.UNSET);
  const update = spans.one('/grpc.AgentService/UpdateInterface');
  assert.equal(update.attributes['rpc.grpc.status_code'], status.INVALID_ARGUMENT);
  assert.equal(update.status.code, SpanStatusCode.ERROR);

  const read = spans.one('/grpc.AgentService/ReadStdout');
  assert.equal(read.attributes['api-category'], 'interactive');
  assert.equal(read.attributes.container_id, 'c1');
  assert.equal(read.attributes.exec_id, undefined, 'an empty exec_id is not a tag');
  // Every span ended no earlier than it started, and the root outlived its children.
  for (const s of spans.getFinishedSpans()) {
    assert.ok(s.ended);
    assert.ok(s.endTime[0] * 1e9 + s.endTime[1] >= root.startTime[0] * 1e9 + root.startTime[1]);
  }
});

test('isolated tracing ignores the trace context in the metadata', async () => {
  const spans = new KeptSpans();
  const t = await startTestAgent({}, 'agent.trace=isolated', { spanExporter: () => spans });
  try {
    const c = await t.client();
    await c.health.check({ service: '' }, { metadata: { traceparent: `00-${HOST_TRACE}-${HOST_SPAN}-01` } });
  } finally {
    await t.stop();
  }
  const check = spans.one('/grpc.Health/Check');
  assert.ok(isChildOf(check, spans.one('kata-agent')));
  assert.notEqual(check.spanContext().traceId, HOST_TRACE);
});

test('collated tracing: the host span in traceparent or uber-trace-id is the parent; none means the root', async () => {
  const spans = new KeptSpans();
  const t = await startTestAgent({}, 'agent.trace=collated', { spanExporter: () => spans });
  try {
    assert.equal(t.config.trace, 'collated');
    const c = await t.client();
    await c.health.check(
      { service: 'w3c' },
      { metadata: { traceparent: `00-${HOST_TRACE}-${HOST_SPAN}-01` } },
    );
    await c.health.version(
      { service: 'jaeger' },
      { metadata: { 'uber-trace-id': `${HOST_TRACE}:${HOST_SPAN}:0:1` } },
    );
    await assert.rejects(
      c.agent.startContainer(
        { container_id: 'c2' },
        { metadata: { 'uber-trace-id': `${HOST_TRACE}:00000000000000aa:0:1` } },
      ),
    );
    await c.health.check({ service: 'none' });
    await c.health.check({ service: 'garbage' }, { metadata: { traceparent: 'not-a-context' } });
  } finally {
    await t.stop();
  }
  const root = spans.one('kata-agent');
  const [w3c, none, garbage] = spans.named('/grpc.Health/Check');
  for (const s of [w3c, spans.one('/grpc.Health/Version')]) {
    assert.equal(s.spanContext().traceId, HOST_TRACE);
    assert.equal(s.parentSpanContext?.spanId, HOST_SPAN);
  }
  const start = spans.one('/grpc.AgentService/StartContainer');
  assert.equal(start.parentSpanContext?.spanId, '00000000000000aa');
  assert.equal(start.attributes.container_id, 'c2');
  assert.ok(isChildOf(none, root));
  assert.ok(isChildOf(garbage, root));
});
