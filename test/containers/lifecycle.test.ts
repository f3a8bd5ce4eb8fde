import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, run, startHarness, type Harness } from '../helpers/containers';

for (const runtime of RUNTIMES) {
  describe(`container lifecycle (${runtime})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ runtime });
    });
    after(async () => {
      await h.stop();
    });

    test('stdout and stderr are read completely and the exit code is returned', async () => {
      const r = await run(h, 'out-err', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual(r, { stdout: 'out\n', stderr: 'err\n', status: 3 });
    });
  });
}
