// Requests the fuzzer once caught answered with a JavaScript fault instead of
// a proper status, replayed byte for byte against a confined agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code as Status } from '../../src/common/status';
import { RpcError } from '../../src/client/grpc-unary';
import { findMethod } from '../../src/client/methods';
import { startConfinedAgent } from '../../tools/testkit/confined-agent';
import { FAULT_TEXT } from '../../tools/testkit/fuzz-run';

interface Regression {
  method: string;
  /** What was wrong, and where it was fixed. */
  why: string;
  request: string;
  expected: Status;
}

const REGRESSIONS: Regression[] = [
  {
    method: 'CreateSandbox',
    why: 'a kernel module named "\\0" reached execFile (TypeError text as UNKNOWN); src/sandbox/kernel-modules.ts',
    request:
      '0a0507f48b84891210f3a3be80f398b79ff18c8b81f1a4bc8b120f2f70726f632f73656c662f66642f3012042f72756e1a301208f2a8a5b3f3ab8ebe120a58784e27713e6748682b12001a0666757a7a2d61220879224e276f206b233204f1bc8e892a0666757a7a2d6132012f3a160a010012022d311207206e44654325531204f09f99823a270a0566757a7a30121ef095899bf1a2a9a7f183aa9df1adb393f3a58dbeeaa3bdf195a393eb849f3a160a147878787878787878787878787878787878787878',
    expected: Status.INVALID_ARGUMENT,
  },
];

test('fuzzer findings stay fixed', { timeout: 60_000 }, async () => {
  // The artifact the image ships: the bundle, started from its snapshot.
  const agent = await startConfinedAgent({ artifact: true });
  try {
    const client = await agent.client();
    for (const r of REGRESSIONS) {
      const method = findMethod(r.method)!;
      const err = await client
        .callRaw(method.path, Buffer.from(r.request, 'hex'), { timeoutMs: 10_000 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(
        err instanceof RpcError,
        `${r.method} (${r.why}): expected ${Status[r.expected]}, got success`,
      );
      assert.doesNotMatch(err.details, FAULT_TEXT, `${r.method} (${r.why})`);
      assert.equal(err.code, r.expected, `${r.method} (${r.why}): ${err.message}`);
    }
  } finally {
    await agent.stop();
  }
});
