// Dynamic tracing with StartTracing / StopTracing, with 1.x's answers for a
// double start or stop, and spans flushed before StopTracing answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as status } from '../../src/common/status';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTestAgent } from '../../tools/testkit/agent';
import { KeptSpans, isChildOf } from '../helpers/spans';
import type { RpcError } from '../../src/client/grpc-unary';

const failed = (message: string) => (e: RpcError) =>
  e.code === status.FAILED_PRECONDITION && e.details === message;

test('StartTracing / StopTracing: 1.x semantics and a flush before StopTracing answers', async () => {
  const spans = new KeptSpans();
  let periods = 0;
  const t = await startTestAgent({}, '', {
    spanExporter: () => {
      periods++;
      return spans;
    },
  });
  try {
    const c = await t.client();
    assert.equal(t.agent.tracing.enabled, false);
    await assert.rejects(c.agent.stopTracing({}), failed('tracing not enabled'));
    await c.health.check({ service: 'untraced' });
    assert.equal(periods, 0, 'nothing is set up while tracing is off');

    await c.agent.startTracing({});
    assert.equal(t.agent.tracing.enabled, true);
    await assert.rejects(c.agent.startTracing({}), failed('tracing already enabled'));
    await c.health.check({ service: 'traced' });
    await c.agent.stopTracing({});
    // Flushed by the time StopTracing answered: root, Check and StopTracing itself.
    const first = spans.getFinishedSpans().slice();
    const root = spans.one('kata-agent');
    assert.deepEqual(first.map((s) => s.name).sort(), [
      '/grpc.AgentService/StopTracing',
      '/grpc.Health/Check',
      'kata-agent',
    ]);
    for (const s of first.filter((x) => x !== root)) assert.ok(isChildOf(s, root), s.name);
    assert.equal(spans.named('/grpc.AgentService/StartTracing').length, 0, 'StartTracing is not traced');

    await assert.rejects(c.agent.stopTracing({}), failed('tracing not enabled'));
    await c.health.check({ service: 'untraced again' });
    assert.equal(spans.getFinishedSpans().length, first.length);

    // Tracing can be started again: a new period with a new root and trace.
    spans.reset();
    await c.agent.startTracing({});
    await c.health.version({ service: '' });
    await c.agent.stopTracing({});
    const secondRoot = spans.one('kata-agent');
    assert.notEqual(secondRoot.spanContext().traceId, root.spanContext().traceId);
    assert.ok(isChildOf(spans.one('/grpc.Health/Version'), secondRoot));
    assert.equal(periods, 2);
  } finally {
    await t.stop();
  }
});

test('static tracing: StartTracing takes over with a fresh root, StopTracing ends tracing altogether', async () => {
  const spans = new KeptSpans();
  const t = await startTestAgent({}, 'agent.trace', { spanExporter: () => spans });
  try {
    const c = await t.client();
    assert.equal(t.agent.tracing.staticOnly, true);
    await c.health.check({ service: 'static' });
    await c.agent.startTracing({});
    assert.equal(t.agent.tracing.staticOnly, false);
    // The static period was closed and flushed; its root and Check are exported.
    const staticRoot = spans.one('kata-agent');
    assert.ok(isChildOf(spans.one('/grpc.Health/Check'), staticRoot));
    spans.reset();

    await c.health.version({ service: '' });
    await c.agent.stopTracing({});
    const dynamicRoot = spans.one('kata-agent');
    assert.notEqual(dynamicRoot.spanContext().traceId, staticRoot.spanContext().traceId);
    assert.ok(isChildOf(spans.one('/grpc.Health/Version'), dynamicRoot));
    assert.equal(t.agent.tracing.enabled, false);
    await assert.rejects(c.agent.stopTracing({}), failed('tracing not enabled'));
  } finally {
    await t.stop();
  }
});

test('static tracing stopped by StopTracing stays off', async () => {
  const spans = new KeptSpans();
  const t = await startTestAgent({}, 'agent.trace=collated', { spanExporter: () => spans });
  try {
    const c = await t.client();
    await c.agent.stopTracing({});
    assert.equal(spans.named('kata-agent').length, 1);
    await c.health.check({ service: '' });
    assert.equal(spans.named('/grpc.Health/Check').length, 0);
  } finally {
    await t.stop();
  }
});

/** An exporter that holds each export until the test lets it go. */
class HeldExporter extends KeptSpans {
  readonly held: Array<() => void> = [];
  private onHeld: (() => void) | undefined;

  override export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.held.push(() => super.export(spans, done));
    this.onHeld?.();
  }

  waitHeld(): Promise<void> {
    if (this.held.length) return Promise.resolve();
    return new Promise((resolve) => (this.onHeld = resolve));
  }
}

test('a StopTracing while the previous one is still flushing: tracing already disabled', async () => {
  const spans = new HeldExporter();
  const t = await startTestAgent({}, '', { spanExporter: () => spans });
  try {
    const c = await t.client();
    await c.agent.startTracing({});
    await c.health.check({ service: '' });
    const first = c.agent.stopTracing({});
    await spans.waitHeld();
    await assert.rejects(c.agent.stopTracing({}), failed('tracing already disabled'));
    // As in 1.x the dynamic period lasts until the stop has finished.
    await assert.rejects(c.agent.startTracing({}), failed('tracing already enabled'));
    for (const release of spans.held.splice(0)) release();
    await first;
    await c.agent.startTracing({});
    assert.equal(t.agent.tracing.enabled, true);
    assert.ok(spans.named('/grpc.Health/Check').length === 1);
  } finally {
    // Shutdown flushes the restarted period through the same held exporter.
    const stopping = t.stop();
    await spans.waitHeld();
    for (const release of spans.held.splice(0)) release();
    await stopping;
  }
  assert.equal(spans.named('kata-agent').length, 2);
});

test('an exporter that fails does not fail StopTracing', async () => {
  const t = await startTestAgent({}, '', {
    spanExporter: () => {
      const failing = new KeptSpans();
      failing.export = (_spans, done) =>
        done({ code: ExportResultCode.FAILED, error: new Error('collector down') });
      return failing;
    },
  });
  try {
    const c = await t.client();
    await c.agent.startTracing({});
    await c.health.check({ service: '' });
    await c.agent.stopTracing({});
    assert.equal(t.agent.tracing.enabled, false);
  } finally {
    await t.stop();
  }
});
