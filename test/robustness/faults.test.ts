// Faults around container creation: the OCI runtime binary missing, a
// container init that cannot be executed, the runtime dying during create
// (before doing anything, and after doing everything). Each must give a clear
// error and leave nothing behind: no runtime state, no bundle, no cgroup, no
// mount, no process, no map entry (a second create with the same id works).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Code as status } from '../../src/common/status';
import { RpcError } from '../../src/client/grpc-unary';
import {
  cgroupDir,
  createContainer,
  readAll,
  startHarness,
  type Harness,
} from '../../tools/testkit/containers';
import { childPids, zombieChildren } from '../../tools/testkit/procfs';
import { waitFor } from '../helpers/wait-for';

const which = (name: string): string =>
  execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
const REAL_CRUN = which('crun');
// What else the agent runs by name (the sandbox's namespace holder runs sh and cat): it keeps finding these.
const OTHER_TOOLS = ['unshare', 'ps', 'modprobe', 'sh', 'cat'];

/** The agent's whole PATH: the other tools, and a crun switchable between behaviours. */
class RuntimeSwitch {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'kata-runtime-bin-'));
  private readonly binary = path.join(this.dir, 'crun');

  constructor() {
    for (const tool of OTHER_TOOLS) symlinkSync(which(tool), path.join(this.dir, tool));
  }

  private replace(write: () => void): void {
    rmSync(this.binary, { force: true });
    write();
  }
  real(): void {
    this.replace(() => symlinkSync(REAL_CRUN, this.binary));
  }
  missing(): void {
    this.replace(() => undefined);
  }
  /** A runtime that does `create` (completely or not at all) and then dies by SIGKILL. */
  dyingAtCreate(when: 'before' | 'after'): void {
    const create = when === 'before' ? 'kill -9 $$' : `"${REAL_CRUN}" "$@"; kill -9 $$`;
    this.replace(() => {
      writeFileSync(
        this.binary,
        `#!/bin/sh\nfor a in "$@"; do [ "$a" = create ] && { ${create}; }; done\nexec "${REAL_CRUN}" "$@"\n`,
      );
      chmodSync(this.binary, 0o755);
    });
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const runtime = new RuntimeSwitch();
let h: Harness;
let savedPath: string | undefined;
before(async () => {
  // Only our directory is on PATH for this whole file: with no crun there when
  // the agent starts, it calls the runtime by name, so every switch below is
  // what its next runtime call finds.
  runtime.missing();
  savedPath = process.env.PATH;
  process.env.PATH = runtime.dir;
  h = await startHarness({ runtime: 'crun' });
});
after(async () => {
  await h?.stop();
  process.env.PATH = savedPath;
  runtime.remove();
});

function traces(id: string): string[] {
  const found: string[] = [];
  const state = h.guest(path.join('/run/kata-agent/runtime/crun', id));
  if (existsSync(state)) found.push(`runtime state ${state}`);
  const bundle = h.guest(path.join('/run/kata-agent/bundles', id));
  if (existsSync(bundle)) found.push(`bundle ${bundle}`);
  for (const controller of ['memory', 'pids', 'freezer', 'cpu', 'devices']) {
    const dir = cgroupDir(h, controller, id);
    if (existsSync(dir)) found.push(`cgroup ${dir}`);
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint?.split('/').includes(id)) found.push(`mount ${mountPoint}`);
  }
  return found;
}

async function expectFailure(p: Promise<unknown>, message: RegExp): Promise<RpcError> {
  const err = await p.then(
    () => assert.fail('the call succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RpcError, String(err));
  assert.notEqual(err.code, status.UNAVAILABLE, `the agent went away: ${err.message}`);
  assert.notEqual(err.code, status.OK);
  assert.match(err.details, message);
  return err;
}

/** After a failure: nothing left, and the same id works with the real runtime. */
/** Runs `echo again` as container `id` and removes it. */
async function runAgain(id: string): Promise<void> {
  await createContainer(h, id, ['sh', '-c', 'echo again']);
  await h.c.agent.startContainer({ container_id: id });
  const [out, { status: code }] = await Promise.all([
    readAll(h, id, id, 'stdout'),
    h.c.agent.waitProcess({ container_id: id, exec_id: id }),
  ]);
  assert.equal(out, 'again\n');
  assert.equal(code, 0);
  await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
}

/** After a failure: nothing left, and the same id works with the real runtime, twice in a row. */
async function assertCleanAndReusable(id: string, childrenBefore: number): Promise<void> {
  assert.deepEqual(traces(id), [], 'left behind by the failed create');
  await waitFor(() => childPids().length <= childrenBefore, {
    timeoutMs: 2000,
    intervalMs: 20,
    what: () => `processes left by the failed create to end: ${childPids().join(' ')}`,
  });
  assert.equal(childPids().length, childrenBefore, `processes left: ${childPids().join(' ')}`);
  assert.deepEqual(zombieChildren(), []);
  runtime.real();
  await runAgain(id);
  // At once, while the first one's runtime state may still be going away.
  await runAgain(id);
  // Runtime state may be deleted just after RemoveContainer answers: allow it a moment.
  await waitFor(() => traces(id).length === 0, {
    timeoutMs: 2000,
    intervalMs: 20,
    what: () => `runtime state left behind by RemoveContainer to go: ${traces(id).join(' ')}`,
  });
}

test('the OCI runtime binary missing: a clear error, nothing left', { timeout: 30_000 }, async (t) => {
  const before = childPids().length;
  runtime.missing();
  const err = await expectFailure(createContainer(h, 'noruntime', ['true']), /crun|ENOENT|not found/i);
  t.diagnostic(err.message);
  await assertCleanAndReusable('noruntime', before);
});

test(
  'a container init that cannot be executed: a clear error, nothing left',
  { timeout: 30_000 },
  async (t) => {
    const before = childPids().length;
    const id = 'noexec';
    const created = await createContainer(h, id, ['/no/such/binary']).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (created === undefined) {
      // Some runtimes only find out at start; the host then removes the container.
      const err = await expectFailure(
        h.c.agent.startContainer({ container_id: id }),
        /no\/such\/binary|not found|No such file/i,
      );
      t.diagnostic(`at start: ${err.message}`);
      await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
    } else {
      assert.ok(created instanceof RpcError, String(created));
      assert.match(created.details, /no\/such\/binary|not found|No such file/i);
      t.diagnostic(`at create: ${created.message}`);
    }
    await assertCleanAndReusable(id, before);
  },
);

for (const when of ['before', 'after'] as const) {
  test(
    `the runtime killed during create (${when} creating): a clear error, nothing left`,
    { timeout: 30_000 },
    async (t) => {
      const before = childPids().length;
      const id = `killed-${when}`;
      runtime.dyingAtCreate(when);
      const err = await expectFailure(
        createContainer(h, id, ['sleep', '1000']),
        /signal|killed|SIGKILL|crun/i,
      );
      t.diagnostic(err.message);
      await assertCleanAndReusable(id, before);
    },
  );
}
