// A failed CreateContainer leaves a line a person can act on at the default
// log level: a warning naming the RPC, the container and why it failed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { Code as status } from '../../src/common/status';
import {
  createContainer,
  expectCode,
  startHarness,
  type Harness,
  SUITE_TIMEOUT_MS,
} from '../../tools/testkit/containers';

describe('failure logging (crun)', { timeout: SUITE_TIMEOUT_MS }, () => {
  const lines: string[] = [];
  let h: Harness;
  before(async () => {
    h = await startHarness({ runtime: 'crun', logLines: lines });
  });
  after(async () => {
    await h.stop();
  });

  test('a CreateContainer on a rootfs without the binary is a warning with the container id', async () => {
    // The root exists (the agent accepts it) but holds nothing the runtime can start.
    mkdirSync(h.guest('/empty-rootfs'));
    await expectCode(createContainer(h, 'badroot', ['/bin/sh'], { root: '/empty-rootfs' }), status.INTERNAL);
    const failed = lines.filter((l) => l.includes('msg="request failed"'));
    assert.equal(failed.length, 1, lines.join(''));
    assert.match(failed[0], /level=warning/);
    assert.match(failed[0], /method=CreateContainer/);
    assert.match(failed[0], /container_id=badroot/);
    assert.match(failed[0], /exec_id=badroot/);
    assert.match(failed[0], /code=INTERNAL/);
    assert.match(failed[0], /error="[^"]+"/);
  });

  test('an expected outcome (an unknown container) stays below the default level', async () => {
    const before = lines.length;
    await expectCode(h.c.agent.startContainer({ container_id: 'nobody' }), status.NOT_FOUND);
    assert.deepEqual(
      lines.slice(before).filter((l) => l.includes('request failed')),
      [],
    );
  });
});
