import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { Code as status } from '../../src/common/status';
import type { RpcError } from '../../src/client/grpc-unary';
import { native } from '../../src/native';
import {
  createContainer,
  exec,
  expectCode,
  readAll,
  run,
  startHarness,
  type Harness,
  SUITE_TIMEOUT_MS,
} from '../../tools/testkit/containers';
import { waitFor } from '../helpers/wait-for';

const runtime = 'crun';

/** Children of this process (the agent runs in it) in zombie state. */
function zombies(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' && Number(ppid) === process.pid) out.push(Number(entry));
  }
  return out;
}

describe('processes (crun)', { timeout: SUITE_TIMEOUT_MS }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ runtime, config: { containerPipeSize: 1024 * 1024 } });
  });
  after(async () => {
    await h.stop();
  });

  test('100 execs leave zero zombies and no open fds', async () => {
    await createContainer(h, 'execs', ['cat']);
    await h.c.agent.startContainer({ container_id: 'execs' });
    const fdsBefore = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 100; i++) {
      await exec(h, 'execs', `e${i}`, ['true']);
      const [{ status: code }] = await Promise.all([
        h.c.agent.waitProcess({ container_id: 'execs', exec_id: `e${i}` }),
        readAll(h, 'execs', `e${i}`, 'stdout'),
        readAll(h, 'execs', `e${i}`, 'stderr'),
      ]);
      assert.equal(code, 0);
    }
    await waitFor(() => zombies().length === 0, {
      what: () => `zombies ${zombies().join(', ')} to be reaped`,
      intervalMs: 20,
    });
    // Drained and waited records go away, with their fds.
    assert.ok(readdirSync('/proc/self/fd').length <= fdsBefore + 5, 'fds of finished execs closed');
    await expectCode(h.c.agent.waitProcess({ container_id: 'execs', exec_id: 'e0' }), status.NOT_FOUND);
    await h.c.agent.removeContainer({ container_id: 'execs', timeout: 0 });
    await waitFor(() => zombies().length === 0, {
      what: () => `zombies ${zombies().join(', ')} to be reaped`,
      intervalMs: 20,
    });
  });

  test('whole container lives, with and without terminals, leave no fd open', async () => {
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 4; i++) {
      const r = await run(h, `fd${i}`, ['sh', '-c', 'echo hi'], { terminal: i % 2 === 1 });
      assert.match(r.stdout, /hi/);
    }
    await createContainer(h, 'fdexec', ['cat']);
    await h.c.agent.startContainer({ container_id: 'fdexec' });
    await exec(h, 'fdexec', 't', ['true'], { terminal: true });
    await h.c.agent.waitProcess({ container_id: 'fdexec', exec_id: 't' });
    await h.c.agent.removeContainer({ container_id: 'fdexec', timeout: 0 });
    assert.ok(readdirSync('/proc/self/fd').length <= before + 2, 'no fd left open');
  });

  test('orphans reparented to the agent are reaped', async () => {
    // In the agent's PID namespace a background child outlives its parent and
    // becomes the agent's (a child subreaper's) orphan.
    await createContainer(h, 'orphan2', ['sh', '-c', 'sleep 0.2 & echo $!'], { agent_pidns: true });
    await h.c.agent.startContainer({ container_id: 'orphan2' });
    const pid = Number((await readAll(h, 'orphan2', 'orphan2', 'stdout')).trim());
    assert.equal((await h.c.agent.waitProcess({ container_id: 'orphan2', exec_id: 'orphan2' })).status, 0);
    await waitFor(() => !existsSync(`/proc/${pid}`), { what: 'the orphan reaped', intervalMs: 20 });
    assert.deepEqual(zombies(), []);
    await h.c.agent.removeContainer({ container_id: 'orphan2', timeout: 0 });
  });

  test('a blocked read, write or wait never blocks other RPCs', async () => {
    await createContainer(h, 'busy', ['sh', '-c', 'echo ready; exec sleep 1000']);
    await h.c.agent.startContainer({ container_id: 'busy' });
    const ids = { container_id: 'busy', exec_id: 'busy' };
    assert.equal((await h.c.agent.readStdout({ ...ids, len: 100 })).data.toString(), 'ready\n');
    // Nothing more comes on stdout and nobody reads stdin.
    const blockedRead = h.c.agent.readStdout({ ...ids, len: 100 });
    const blockedWait = h.c.agent.waitProcess(ids);
    const big = Buffer.alloc(4 * 1024 * 1024, 'x');
    const blockedWrite = h.c.agent.writeStdin({ ...ids, data: big });
    let settled = false;
    void Promise.allSettled([blockedRead, blockedWait, blockedWrite]).then(() => (settled = true));

    // Meanwhile: another container's whole life, an exec here, stats, a second write.
    assert.equal((await run(h, 'other', ['echo', 'hi'])).stdout, 'hi\n');
    await exec(h, 'busy', 'side', ['echo', 'side']);
    assert.equal(await readAll(h, 'busy', 'side', 'stdout'), 'side\n');
    await h.c.agent.statsContainer({ container_id: 'busy' });
    await h.c.agent.closeStdin(ids);
    assert.equal(settled, false, 'the blocked calls are still blocked');

    await h.c.agent.signalProcess({ ...ids, signal: 9 });
    assert.equal((await blockedWait).status, 137);
    await expectCode(blockedRead, status.UNKNOWN, /^EOF$/);
    await expectCode(blockedWrite, status.UNKNOWN);
    await h.c.agent.removeContainer({ container_id: 'busy', timeout: 0 });
  });

  test('stdout and stderr pipes get agent.container_pipe_size', async () => {
    await createContainer(h, 'pipes', ['cat']);
    await h.c.agent.startContainer({ container_id: 'pipes' });
    const [pid] = JSON.parse(
      (
        await h.c.agent.listProcesses({ container_id: 'pipes', format: 'json', args: [] })
      ).process_list.toString(),
    ) as number[];
    for (const fd of [1, 2]) {
      const f = openSync(`/proc/${pid}/fd/${fd}`, 'w');
      try {
        assert.equal(native().getPipeSize(f), 1024 * 1024);
      } finally {
        closeSync(f);
      }
    }
    await h.c.agent.removeContainer({ container_id: 'pipes', timeout: 0 });
  });

  test('OOMScoreAdj reaches the container (negative where the agent may lower it); out of range is refused', async () => {
    // Lowering a score needs CAP_SYS_RESOURCE, which a guest's agent has and
    // this machine's root may lack: then a raised score proves the same path.
    const value = hasCapability(CAP_SYS_RESOURCE) ? -998n : 500n;
    await createContainer(h, 'oom-adj', ['cat', '/proc/self/oom_score_adj'], { oomScoreAdj: value });
    await h.c.agent.startContainer({ container_id: 'oom-adj' });
    const [out, { status: code }] = await Promise.all([
      readAll(h, 'oom-adj', 'oom-adj', 'stdout'),
      h.c.agent.waitProcess({ container_id: 'oom-adj', exec_id: 'oom-adj' }),
    ]);
    assert.equal(code, 0);
    assert.equal(out.trim(), String(value));
    await h.c.agent.removeContainer({ container_id: 'oom-adj', timeout: 0 });
    await expectCode(
      createContainer(h, 'oom-bad', ['true'], { oomScoreAdj: -1001n }),
      status.INVALID_ARGUMENT,
      /OOMScoreAdj -1001/,
    );
  });

  test('signal to every process of a container (empty exec id)', async () => {
    await createContainer(h, 'all', ['cat']);
    await h.c.agent.startContainer({ container_id: 'all' });
    await exec(h, 'all', 'x', ['cat']);
    await h.c.agent.signalProcess({ container_id: 'all', exec_id: '', signal: 9 });
    const [a, b] = await Promise.all([
      h.c.agent.waitProcess({ container_id: 'all', exec_id: 'all' }),
      h.c.agent.waitProcess({ container_id: 'all', exec_id: 'x' }),
    ]);
    assert.deepEqual([a.status, b.status], [137, 137]);
    await h.c.agent.removeContainer({ container_id: 'all', timeout: 0 });
  });

  test('a container that runs out of memory is reported by GetOOMEvent', async () => {
    const limit = 32n * 1024n * 1024n;
    await createContainer(h, 'hog', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], {
      linux: {
        Resources: {
          Devices: [],
          HugepageLimits: [],
          Memory: {
            Limit: limit,
            Swap: limit,
            Reservation: 0n,
            Kernel: 0n,
            KernelTCP: 0n,
            Swappiness: 0n,
            DisableOOMKiller: false,
          },
          CPU: undefined,
          Pids: undefined,
          BlockIO: undefined,
          Network: undefined,
        },
      },
    });
    const event = h.c.agent.getOOMEvent({});
    await h.c.agent.startContainer({ container_id: 'hog' });
    assert.equal((await h.c.agent.waitProcess({ container_id: 'hog', exec_id: 'hog' })).status, 137);
    assert.equal((await event).container_id, 'hog');
    await h.c.agent.removeContainer({ container_id: 'hog', timeout: 0 });
  });
});

const CAP_SYS_RESOURCE = 24;

function hasCapability(bit: number): boolean {
  const line = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)$/m);
  return line !== null && ((BigInt('0x' + line[1]) >> BigInt(bit)) & 1n) === 1n;
}

describe('processes per container (crun)', { timeout: SUITE_TIMEOUT_MS }, () => {
  test('past the limit ExecProcess is RESOURCE_EXHAUSTED; a waited and read exec frees its place', async () => {
    const h = await startHarness({ runtime, config: { maxProcessesPerContainer: 3 } });
    try {
      await createContainer(h, 'full', ['cat']);
      await h.c.agent.startContainer({ container_id: 'full' });
      await exec(h, 'full', 'a', ['true']);
      await exec(h, 'full', 'b', ['sleep', '1000']);
      const err = await expectCode(exec(h, 'full', 'c', ['true']), status.RESOURCE_EXHAUSTED);
      assert.match(err.details, /container full already holds 3 processes/);
      // Exited but not yet waited for and read: "a" still counts, until the host finishes with it.
      await Promise.all([
        h.c.agent.waitProcess({ container_id: 'full', exec_id: 'a' }),
        readAll(h, 'full', 'a', 'stdout'),
        readAll(h, 'full', 'a', 'stderr'),
      ]);
      // The release follows the last of those answers; give it a moment, no more.
      await waitFor(
        () =>
          exec(h, 'full', 'c', ['true']).then(
            () => true,
            (e: RpcError) => {
              if (e.code !== status.RESOURCE_EXHAUSTED) throw e;
              return false;
            },
          ),
        { what: "exec 'a' to give back its place", timeoutMs: 2500, intervalMs: 50 },
      );
      assert.equal((await h.c.agent.waitProcess({ container_id: 'full', exec_id: 'c' })).status, 0);
    } finally {
      await h.stop();
    }
  });
});
