import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, makeGenericClientConstructor, Metadata, type ServiceError } from '@grpc/grpc-js';
import { startTestAgent } from '../helpers/agent';
import { grpcJsService } from '../helpers/grpc-js-service';
import { HealthCheckResponse_ServingStatus, HealthDefinition } from '../../src/generated/health';
import { Code as status } from '../../src/rpc/status';
import { AGENT_VERSION } from '../../src/version';
import { RpcError } from '../../src/client/grpc-unary';

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
    assert.equal((await c.health.check({ service: '' })).status, HealthCheckResponse_ServingStatus.SERVING);
  } finally {
    await t.stop();
  }
});
