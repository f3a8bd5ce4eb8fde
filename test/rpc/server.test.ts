import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, makeGenericClientConstructor, Metadata, type ServiceError } from '@grpc/grpc-js';
import { startTestAgent } from '../../tools/testkit/agent';
import { grpcJsService } from '../../tools/testkit/grpc-js-service';
import { HealthCheckResponse_ServingStatus, HealthDefinition } from '../../src/generated/health';
import { Code as status } from '../../src/common/status';
import { AGENT_VERSION } from '../../src/version';
import { RpcError } from '../../src/client/grpc-unary';
import { AgentClient } from '../../src/client/agent-client';
import { connectUnix } from '../../src/client/dial';
import { Session } from '../../src/transport/yamux';

test('Health.Check answers SERVING and Version both versions', async () => {
  const t = await startTestAgent();
  try {
    const c = await t.client();
    assert.equal((await c.health.check({ service: '' })).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.deepEqual(await c.health.version({ service: '' }), {
      grpc_version: '0.0.1',
      agent_version: AGENT_VERSION,
    });
  } finally {
    await t.stop();
  }
});

test('a stock grpc-js client over the unix socket talks to the agent', async () => {
  const t = await startTestAgent();
  try {
    const HealthService = grpcJsService(HealthDefinition);
    const Client = makeGenericClientConstructor(HealthService, 'grpc.Health');
    const client = new Client(`unix://${t.socket}`, credentials.createInsecure());
    const res = await new Promise<unknown>((resolve, reject) =>
      client.makeUnaryRequest(
        '/grpc.Health/Check',
        (v: { service: string }) => HealthService.check.requestSerialize(v as never),
        (b: Buffer) => HealthService.check.responseDeserialize(b),
        { service: 'x' },
        new Metadata(),
        (err: ServiceError | null, value?: unknown) => (err ? reject(err) : resolve(value)),
      ),
    );
    assert.deepEqual(res, { status: HealthCheckResponse_ServingStatus.SERVING });
    client.close();
  } finally {
    await t.stop();
  }
});

test('undecodable request bytes get INVALID_ARGUMENT and the agent keeps serving', async () => {
  const t = await startTestAgent();
  try {
    const c = await t.client();
    await assert.rejects(
      c.callRaw('/grpc.AgentService/StartContainer', Buffer.from([0x0a, 0xff, 0xff, 0xff])),
      (err: RpcError) =>
        err.code === status.INVALID_ARGUMENT && /cannot decode StartContainer/.test(err.details),
    );
    // Malformed by the protobuf spec although a lenient decoder reads an empty message from them.
    const malformed: [string, number[], RegExp][] = [
      ['field number 0', [0x00, 0x01], /field number 0/],
      ['a stray end-group tag', [0x0c], /closes no group/],
      ['an unclosed group', [0x7b, 0x08, 0x01], /not closed/],
      ['wire type 7', [0x0f], /invalid wire type 7/],
      ['a truncated fixed64', [0x79, 0x01, 0x02], /runs past the end/],
      // Known fields with another wire type, at the top and nested (Spec in CreateContainer).
      [
        'a string field sent as a varint',
        [0x08, 0x01],
        /field 1 of grpc.StartContainerRequest .*wire type 0, not 2/,
      ],
      [
        'a group for a string field',
        [0x0b, 0x0c],
        /field 1 of grpc.StartContainerRequest .*wire type 3, not 2/,
      ],
      ['a varint of eleven bytes', [0x78, ...Array(10).fill(0xff), 0x01], /longer than 10 bytes/],
    ];
    for (const [what, bytes, message] of malformed) {
      await assert.rejects(
        c.callRaw('/grpc.AgentService/StartContainer', Buffer.from(bytes)),
        (err: RpcError) => err.code === status.INVALID_ARGUMENT && message.test(err.details),
        what,
      );
    }
    const nested: [string, number[], RegExp][] = [
      ['field number 0 inside OCI', [0x32, 0x02, 0x00, 0x01], /field number 0/],
      [
        'Spec.Process sent as a varint',
        [0x32, 0x02, 0x10, 0x01],
        /field 2 of grpc.Spec .*wire type 0, not 2/,
      ],
      [
        'a bad Process.Args inside Spec.Process',
        [0x32, 0x04, 0x12, 0x02, 0x20, 0x01],
        /field 4 of grpc.Process/,
      ],
      [
        'an annotation value sent as a varint',
        [0x32, 0x04, 0x3a, 0x02, 0x10, 0x01],
        /field 2 of grpc.Spec.AnnotationsEntry/,
      ],
    ];
    for (const [what, bytes, message] of nested) {
      await assert.rejects(
        c.callRaw('/grpc.AgentService/CreateContainer', Buffer.from(bytes)),
        (err: RpcError) => err.code === status.INVALID_ARGUMENT && message.test(err.details),
        what,
      );
    }
    // A repeated scalar may arrive packed or not: both pass the wire check.
    for (const bytes of [
      [0x0a, 0x02, 0x01, 0x02],
      [0x08, 0x01, 0x08, 0x02],
    ]) {
      const err = await c.callRaw('/grpc.AgentService/MemHotplugByProbe', Buffer.from(bytes)).then(
        () => undefined,
        (e: RpcError) => e,
      );
      assert.doesNotMatch(err?.details ?? '', /wire type|cannot decode/);
    }
    // Unknown fields of every valid wire type, a closed group among them, are still skipped.
    const unknownFields = Buffer.from([
      0x78, 0x01, 0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x83, 0x01, 0x84, 0x01, 0x0a, 0x01, 0x63,
    ]);
    const answer = await c.callRaw('/grpc.AgentService/StartContainer', unknownFields).then(
      () => status.OK,
      (e: RpcError) => e.code,
    );
    assert.notEqual(answer, status.INVALID_ARGUMENT, 'unknown fields are skipped, not refused');
    assert.equal((await c.health.check({ service: '' })).status, HealthCheckResponse_ServingStatus.SERVING);
  } finally {
    await t.stop();
  }
});

test('a new connection is answered at once, over the agent channel plain and through yamux', async () => {
  // Connections pass a transport's sniffing and the :authority admission before
  // HTTP/2 takes them; neither may hold a well-behaved client back.
  const t = await startTestAgent();
  try {
    for (const transport of ['unix', 'yamux'] as const) {
      const started = Date.now();
      const conn = await connectUnix(t.socket, 2000);
      const c = new AgentClient(
        transport === 'unix' ? conn : new Session(conn, { role: 'client' }).openStream(),
      );
      assert.equal(
        (await c.health.check({ service: '' }, { timeoutMs: 2000 })).status,
        HealthCheckResponse_ServingStatus.SERVING,
      );
      assert.ok(Date.now() - started < 1000, `${transport}: first answer after ${Date.now() - started} ms`);
      c.destroy();
      conn.destroy();
    }
  } finally {
    await t.stop();
  }
});
