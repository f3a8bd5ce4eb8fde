// The Kata 1.x host stack against the agent, unmodified: a grpc-go client,
// straight on the unix socket and through a hashicorp yamux client session on it
// (as the runtime dials the VM's virtio-serial port). Requests are encoded with
// the generated codecs, exactly the bytes a real client puts on the wire.
// test-file-timeout-ms: 600000 (its build test may take 5 minutes; see scripts/test-inner.sh)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startTestAgent, type TestAgent } from '../../tools/testkit/agent';
import {
  grpcGoClientBinary,
  runGoCalls,
  type GoCall,
  type GoResult,
} from '../../tools/testkit/grpc-go-client';
import { Code } from '../../src/common/status';
import {
  CheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  VersionCheckResponse,
} from '../../src/generated/health';
import {
  CopyFileRequest,
  GetOOMEventRequest,
  StartContainerRequest,
  StatsContainerRequest,
} from '../../src/generated/agent';

const MiB = 1024 * 1024;
const TRANSPORTS = [
  { name: 'unix', yamux: false },
  { name: 'yamux', yamux: true },
];

const healthCheck: GoCall = {
  method: '/grpc.Health/Check',
  request: CheckRequest.encode({ service: '' }).finish(),
};
const healthVersion: GoCall = {
  method: '/grpc.Health/Version',
  request: CheckRequest.encode({ service: '' }).finish(),
};
const startContainer = (container_id: string): GoCall => ({
  method: '/grpc.AgentService/StartContainer',
  request: StartContainerRequest.encode({ container_id }).finish(),
});
const statsContainer = (container_id: string): GoCall => ({
  method: '/grpc.AgentService/StatsContainer',
  request: StatsContainerRequest.encode({ container_id }).finish(),
});

function ok(result: GoResult): Buffer {
  assert.ok(result.ok, `expected an answer, got ${JSON.stringify(result)}`);
  return result.response;
}

function failed(result: GoResult, code: Code, message: string): void {
  assert.deepEqual(result.ok ? result : { code: result.code, message: result.message }, { code, message });
}

let agent: TestAgent;
// Every test and hook names its timeout: in a file of its own, the default is the file's bound.
const CALL_TEST = { timeout: 120_000 };
before(async () => {
  agent = await startTestAgent();
}, CALL_TEST);
after(async () => {
  await agent?.stop();
}, CALL_TEST);

// The first run compiles grpc-go (about 10 s with a cold Go cache).
test('the grpc-go client builds offline', { timeout: 300_000 }, () => {
  assert.ok(grpcGoClientBinary());
});

for (const { name, yamux } of TRANSPORTS) {
  test(`${name}: health, versions, errors as grpc-go decodes them, a deadline`, CALL_TEST, async () => {
    const expectedVersion = await (await agent.client()).health.version({ service: '' });
    // A value requireId refuses and quotes: non-ASCII, '%' and a valid-looking escape.
    const oddId = 'café 100% ☃ %41 \u{1F600}';
    const results = await runGoCalls(
      agent.socket,
      [
        healthCheck,
        healthVersion,
        startContainer(''),
        startContainer('c1'),
        statsContainer('absent'),
        startContainer(oddId),
        // Blocks until an OOM event, which never comes here.
        {
          method: '/grpc.AgentService/GetOOMEvent',
          request: GetOOMEventRequest.encode({}).finish(),
          timeoutMs: 300,
        },
        // The connection outlives the cancelled call.
        healthCheck,
      ],
      { yamux },
    );
    assert.equal(
      HealthCheckResponse.decode(ok(results[0])).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
    assert.deepEqual(VersionCheckResponse.decode(ok(results[1])), expectedVersion);
    failed(results[2], Code.INVALID_ARGUMENT, 'container_id is empty');
    failed(results[3], Code.FAILED_PRECONDITION, 'Sandbox not started, impossible to start the container');
    failed(results[4], Code.NOT_FOUND, 'Container absent not found');
    failed(
      results[5],
      Code.INVALID_ARGUMENT,
      `container_id ${JSON.stringify(oddId)} is not a valid id (letters, digits, _ . + -)`,
    );
    assert.ok(!results[6].ok);
    assert.equal(results[6].code, Code.DEADLINE_EXCEEDED);
    const waited = results[6].at - results[5].at;
    assert.ok(waited >= 280 && waited < 1500, `the 300 ms deadline ended the call after ${waited} ms`);
    assert.equal(
      HealthCheckResponse.decode(ok(results[7])).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
  });

  test(`${name}: a 2 MiB CopyFile in one request`, CALL_TEST, async () => {
    const data = randomBytes(2 * MiB);
    const target = `/run/grpc-go-${name}/big.bin`;
    const request = CopyFileRequest.encode({
      path: target,
      file_size: BigInt(data.length),
      file_mode: 0o644,
      dir_mode: 0o755,
      uid: -1,
      gid: -1,
      offset: 0n,
      data,
    }).finish();
    assert.ok(request.length > 2 * MiB);
    const [result] = await runGoCalls(agent.socket, [{ method: '/grpc.AgentService/CopyFile', request }], {
      yamux,
    });
    assert.equal(ok(result).length, 0, 'CopyFile answers an Empty');
    assert.ok(
      readFileSync(path.join(agent.config.guestRoot, target)).equals(data),
      'the file arrived intact',
    );
  });

  test(`${name}: 20 concurrent calls on one connection, each answer its own`, CALL_TEST, async () => {
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 ? healthCheck : statsContainer(`c${i}`)));
    const results = await runGoCalls(agent.socket, calls, { yamux, parallel: true });
    results.forEach((r, i) => {
      if (i % 2)
        assert.equal(HealthCheckResponse.decode(ok(r)).status, HealthCheckResponse_ServingStatus.SERVING);
      else failed(r, Code.NOT_FOUND, `Container c${i} not found`);
    });
  });
}

// grpc-go before v1.31 (the Kata 1.x runtime pins v1.22) puts its dial target in
// :authority: "vsock://3:1024", "unix:///run/vc/vm/<sandbox>/kata.sock". node:http2
// would reset such a stream; src/rpc/authority-guard.ts rewrites the value first.
// Several calls on one connection: the first sends the value as a literal, the
// next ones by its index in the HPACK table, which must stay in step.
for (const { name, yamux } of TRANSPORTS) {
  for (const authority of ['unix:///run/vc/vm/0123456789abcdef/kata.sock', 'vsock://3:1024']) {
    test(`${name}: the :authority of grpc-go before v1.31, ${authority}`, CALL_TEST, async () => {
      const results = await runGoCalls(agent.socket, [healthCheck, statsContainer('gone'), healthCheck], {
        yamux,
        authority,
      });
      assert.equal(
        HealthCheckResponse.decode(ok(results[0])).status,
        HealthCheckResponse_ServingStatus.SERVING,
      );
      failed(results[1], Code.NOT_FOUND, 'Container gone not found');
      assert.equal(
        HealthCheckResponse.decode(ok(results[2])).status,
        HealthCheckResponse_ServingStatus.SERVING,
      );
    });
  }
}
