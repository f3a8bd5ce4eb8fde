// A full disk during CopyFile: the guest's /run is a tiny tmpfs (mounted in the
// test's private mount namespace). The copy fails with a clear error, leaves no
// partial or temporary file, keeps an older version of the target intact, and
// the next copy that fits succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Code as status } from '../../src/common/status';
import type { AgentClient } from '../../src/client/agent-client';
import { RpcError } from '../../src/client/grpc-unary';
import { startTestAgent, type TestAgent } from '../../tools/testkit/agent';

const TMPFS_BYTES = 256 * 1024;
let agent: TestAgent;
let client: AgentClient;
let guestRoot: string;
let run: string;

before(async () => {
  guestRoot = mkdtempSync(path.join(os.tmpdir(), 'kata-guest-full-'));
  run = path.join(guestRoot, 'run');
  mkdirSync(run);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES},mode=755`, 'tmpfs', run]);
  agent = await startTestAgent({ guestRoot });
  client = await agent.client();
});

after(async () => {
  await agent?.stop();
  execFileSync('umount', [run]);
  rmSync(guestRoot, { recursive: true, force: true });
});

/** Copies `data` to `guestPath` in 64 KiB chunks, as a host does. */
async function copy(guestPath: string, data: Buffer): Promise<void> {
  const chunk = 64 * 1024;
  for (let offset = 0; offset === 0 || offset < data.length; offset += chunk) {
    await client.agent.copyFile({
      path: guestPath,
      file_size: BigInt(data.length),
      file_mode: 0o644,
      dir_mode: 0o755,
      uid: -1,
      gid: -1,
      offset: BigInt(offset),
      data: data.subarray(offset, offset + chunk),
    });
  }
}

function freeBytes(): number {
  const s = statfsSync(run);
  return s.bavail * s.bsize;
}

/** Files CopyFile could have left; the agent's own run/kata-agent (its runtime binary) is not one. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .filter((e) => !path.relative(run, e.parentPath ?? e.path).startsWith('kata-agent'))
    .map((e) => path.relative(run, path.join(e.parentPath ?? e.path, e.name)));
}

test('CopyFile on a full disk: clear error, no partial file, old version kept, next copy works', async (t) => {
  const old = randomBytes(10_000);
  await copy('/run/kata-containers/shared/config.json', old);
  const freeBefore = freeBytes();

  const tooBig = randomBytes(TMPFS_BYTES * 2);
  const err = await copy('/run/kata-containers/shared/config.json', tooBig).then(
    () => assert.fail('a copy larger than the disk succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RpcError, String(err));
  assert.notEqual(err.code, status.UNAVAILABLE);
  assert.match(err.details, /no space|ENOSPC/i);
  t.diagnostic(err.message);

  assert.deepEqual(
    filesUnder(run),
    ['kata-containers/shared/config.json'],
    'a partial or temporary file is left',
  );
  assert.deepEqual(
    readFileSync(path.join(run, 'kata-containers/shared/config.json')),
    old,
    'the old version changed',
  );
  assert.ok(freeBytes() >= freeBefore, `space not given back: ${freeBytes()} free, ${freeBefore} before`);

  const fits = randomBytes(50_000);
  await copy('/run/kata-containers/shared/next.bin', fits);
  assert.deepEqual(readFileSync(path.join(run, 'kata-containers/shared/next.bin')), fits);
});
