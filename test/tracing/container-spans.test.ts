// Spans of a real container lifecycle: each RPC a child of the root, and the
// runtime calls it makes children of that RPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, run } from '../../tools/testkit/containers';
import { KeptSpans, isChildOf } from '../helpers/spans';

test('a container lifecycle traces its RPCs and their runtime calls', async () => {
  const spans = new KeptSpans();
  const h = await startHarness({
    runtime: 'crun',
    cmdline: 'agent.trace',
    start: { spanExporter: () => spans },
  });
  try {
    const out = await run(h, 'traced', ['echo', 'hi']);
    assert.equal(out.stdout, 'hi\n');
  } finally {
    await h.stop();
  }
  const root = spans.one('kata-agent');
  const create = spans.one('/grpc.AgentService/CreateContainer');
  assert.ok(isChildOf(create, root));
  assert.equal(create.attributes.container_id, 'traced');
  const runtimeCalls = spans.getFinishedSpans().filter((s) => s.name === 'runtime');
  const createCall = runtimeCalls.find((s) => s.attributes.command === 'create');
  assert.ok(createCall, `runtime spans: ${runtimeCalls.map((s) => s.attributes.command).join(', ')}`);
  assert.ok(isChildOf(createCall, create), 'crun create is a child of CreateContainer');
  assert.equal(createCall.attributes.runtime, 'crun');
  const start = spans.one('/grpc.AgentService/StartContainer');
  assert.ok(
    runtimeCalls.some((s) => s.attributes.command === 'start' && isChildOf(s, start)),
    'crun start is a child of StartContainer',
  );
});
