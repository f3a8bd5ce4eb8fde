import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Code as status } from '../../src/common/status';
import {
  RUNTIMES,
  cgroupDir,
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

const SIGKILL = 9;
const SIGTERM = 15;

/** Reads stdout until `text` has appeared (the process signals it is ready). */
async function readUntil(h: Harness, cid: string, eid: string, text: string): Promise<string> {
  let seen = '';
  while (!seen.includes(text)) {
    const { data } = await h.c.agent.readStdout({ container_id: cid, exec_id: eid, len: 1024 });
    seen += data.toString();
  }
  return seen;
}

for (const runtime of RUNTIMES) {
  describe(`container lifecycle (${runtime})`, { timeout: SUITE_TIMEOUT_MS }, () => {
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

    test('1,000 lines written just before exit are all read, even after WaitProcess', async () => {
      await createContainer(h, 'lines', [
        'sh',
        '-c',
        'i=0; while [ $i -lt 1000 ]; do echo line $i; i=$((i+1)); done',
      ]);
      await h.c.agent.startContainer({ container_id: 'lines' });
      // Wait first: the output must survive the wait (1.x dropped it).
      assert.equal((await h.c.agent.waitProcess({ container_id: 'lines', exec_id: 'lines' })).status, 0);
      const out = await readAll(h, 'lines', 'lines', 'stdout', 4096);
      const lines = out.trimEnd().split('\n');
      assert.equal(lines.length, 1000);
      assert.equal(lines[999], 'line 999');
      await h.c.agent.removeContainer({ container_id: 'lines', timeout: 0 });
    });

    test('SIGKILL gives 137 and a SIGTERM to an init without handler becomes SIGKILL', async () => {
      for (const [id, signal] of [
        ['killed', SIGKILL],
        ['termed', SIGTERM],
      ] as const) {
        await createContainer(h, id, ['sleep', '1000']);
        await h.c.agent.startContainer({ container_id: id });
        await h.c.agent.signalProcess({ container_id: id, exec_id: id, signal });
        assert.equal((await h.c.agent.waitProcess({ container_id: id, exec_id: id })).status, 137);
        await h.c.agent.removeContainer({ container_id: id, timeout: 0 });
      }
    });

    test('a SIGTERM handler of the init runs', async () => {
      await createContainer(h, 'handler', [
        'sh',
        '-c',
        'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done',
      ]);
      await h.c.agent.startContainer({ container_id: 'handler' });
      await readUntil(h, 'handler', 'handler', 'ready');
      await h.c.agent.signalProcess({ container_id: 'handler', exec_id: 'handler', signal: SIGTERM });
      assert.equal((await h.c.agent.waitProcess({ container_id: 'handler', exec_id: 'handler' })).status, 7);
      await h.c.agent.removeContainer({ container_id: 'handler', timeout: 0 });
    });

    test('stdin is echoed by cat and ended by CloseStdin (twice is harmless)', async () => {
      await createContainer(h, 'cat', ['cat']);
      await h.c.agent.startContainer({ container_id: 'cat' });
      const ids = { container_id: 'cat', exec_id: 'cat' };
      const reading = readAll(h, 'cat', 'cat', 'stdout');
      assert.equal((await h.c.agent.writeStdin({ ...ids, data: Buffer.from('hello\n') })).len, 6);
      assert.equal((await h.c.agent.writeStdin({ ...ids, data: Buffer.from('world\n') })).len, 6);
      await h.c.agent.closeStdin(ids);
      await h.c.agent.closeStdin(ids);
      assert.equal(await reading, 'hello\nworld\n');
      assert.equal((await h.c.agent.waitProcess(ids)).status, 0);
      // After CloseStdin a write is accepted and writes nothing, as in 1.x.
      assert.equal((await h.c.agent.writeStdin({ ...ids, data: Buffer.from('x') })).len, 0);
      await h.c.agent.removeContainer({ container_id: 'cat', timeout: 0 });
    });

    test('a terminal process sees the TtyWinResize size', async () => {
      await createContainer(h, 'tty', ['sh', '-c', 'read line; stty size'], { terminal: true });
      await h.c.agent.startContainer({ container_id: 'tty' });
      const ids = { container_id: 'tty', exec_id: 'tty' };
      await h.c.agent.ttyWinResize({ ...ids, row: 33, column: 101 });
      await h.c.agent.writeStdin({ ...ids, data: Buffer.from('go\n') });
      const out = await readAll(h, 'tty', 'tty', 'stdout');
      assert.match(out, /33 101\r\n/);
      // A terminal has no separate stderr.
      assert.equal(await readAll(h, 'tty', 'tty', 'stderr'), '');
      assert.equal((await h.c.agent.waitProcess(ids)).status, 0);
      await h.c.agent.removeContainer({ container_id: 'tty', timeout: 0 });
    });

    test('exec into a running container, with and without a terminal', async () => {
      await createContainer(h, 'host', ['cat']);
      await h.c.agent.startContainer({ container_id: 'host' });
      await exec(h, 'host', 'e1', ['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 5']);
      const [out, err, st] = await Promise.all([
        readAll(h, 'host', 'e1', 'stdout'),
        readAll(h, 'host', 'e1', 'stderr'),
        h.c.agent.waitProcess({ container_id: 'host', exec_id: 'e1' }),
      ]);
      assert.deepEqual([out, err, st.status], ['exec-out\n', 'exec-err\n', 5]);
      await exec(h, 'host', 'e2', ['sh', '-c', 'stty size; tty'], { terminal: true });
      const tty = await readAll(h, 'host', 'e2', 'stdout');
      assert.match(tty, /\/dev\/pts\/\d+\r\n/);
      assert.equal((await h.c.agent.waitProcess({ container_id: 'host', exec_id: 'e2' })).status, 0);
      await expectCode(exec(h, 'host', 'host', ['true']), status.ALREADY_EXISTS);
      await h.c.agent.closeStdin({ container_id: 'host', exec_id: 'host' });
      await h.c.agent.waitProcess({ container_id: 'host', exec_id: 'host' });
      await expectCode(exec(h, 'host', 'e3', ['true']), status.FAILED_PRECONDITION, /stopped/);
      await h.c.agent.removeContainer({ container_id: 'host', timeout: 0 });
    });

    test('pause and resume show in the freezer; update and stats use the cgroup', async () => {
      await createContainer(h, 'res', ['cat'], { memoryLimit: 256 * 1024 * 1024 });
      await h.c.agent.startContainer({ container_id: 'res' });
      const freezer = `${cgroupDir(h, 'freezer', 'res')}/freezer.state`;
      assert.equal(readFileSync(freezer, 'utf8').trim(), 'THAWED');
      await expectCode(h.c.agent.resumeContainer({ container_id: 'res' }), status.FAILED_PRECONDITION);
      await h.c.agent.pauseContainer({ container_id: 'res' });
      assert.equal(readFileSync(freezer, 'utf8').trim(), 'FROZEN');
      await expectCode(exec(h, 'res', 'frozen', ['true']), status.FAILED_PRECONDITION, /paused/);
      await h.c.agent.resumeContainer({ container_id: 'res' });
      assert.equal(readFileSync(freezer, 'utf8').trim(), 'THAWED');

      await h.c.agent.updateContainer({
        container_id: 'res',
        resources: {
          Devices: [],
          HugepageLimits: [],
          Memory: {
            Limit: 64n * 1024n * 1024n,
            Reservation: 0n,
            Swap: 0n,
            Kernel: 0n,
            KernelTCP: 0n,
            Swappiness: 0n,
            DisableOOMKiller: false,
          },
          CPU: undefined,
          Pids: { Limit: 77n },
          BlockIO: undefined,
          Network: undefined,
        },
      });
      const memory = cgroupDir(h, 'memory', 'res');
      assert.equal(readFileSync(`${memory}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
      assert.equal(readFileSync(`${cgroupDir(h, 'pids', 'res')}/pids.max`, 'utf8').trim(), '77');

      const stats = (await h.c.agent.statsContainer({ container_id: 'res' })).cgroup_stats;
      assert.ok(stats?.memory_stats?.usage && stats.pids_stats && stats.cpu_stats?.cpu_usage);
      assert.ok(stats.memory_stats.usage.usage > 0n, 'memory usage > 0');
      assert.equal(stats.memory_stats.usage.limit, 64n * 1024n * 1024n);
      assert.ok(stats.pids_stats.current >= 1n);
      assert.equal(stats.pids_stats.limit, 77n);
      assert.ok(stats.cpu_stats.cpu_usage.total_usage > 0n);
      // No kernel-memory limit: the kernel's "unlimited" (9223372036854771712), exactly, not the nearest double.
      const kmemLimitFile = `${memory}/memory.kmem.limit_in_bytes`;
      if (existsSync(kmemLimitFile)) {
        const kernelValue = BigInt(readFileSync(kmemLimitFile, 'utf8').trim());
        assert.ok(kernelValue > 2n ** 53n, 'kernel memory is unlimited here');
        assert.equal(stats.memory_stats.kernel_usage?.limit, kernelValue);
      }

      const json = await h.c.agent.listProcesses({ container_id: 'res', format: 'json', args: [] });
      const pids = JSON.parse(json.process_list.toString()) as number[];
      assert.equal(pids.length, 1);
      const table = (await h.c.agent.listProcesses({ container_id: 'res', format: 'table', args: [] }))
        .process_list;
      const lines = table.toString().trimEnd().split('\n');
      assert.match(lines[0], /PID/);
      assert.equal(lines.length, 2);
      assert.match(lines[1], new RegExp(`\\b${pids[0]}\\b.*cat`));
      await expectCode(
        h.c.agent.listProcesses({ container_id: 'res', format: 'yaml', args: [] }),
        status.UNKNOWN,
        /invalid format option/,
      );
      await h.c.agent.removeContainer({ container_id: 'res', timeout: 0 });
      // The runtime deletes the cgroup once RemoveContainer has answered.
      await waitFor(() => !existsSync(memory), { what: 'the cgroup removed', intervalMs: 20 });
    });

    test('RemoveContainer kills a process that ignores SIGTERM, and everything goes', async () => {
      await createContainer(h, 'stubborn', [
        'sh',
        '-c',
        'trap "" TERM; echo ready; while :; do sleep 1; done',
      ]);
      await h.c.agent.startContainer({ container_id: 'stubborn' });
      await readUntil(h, 'stubborn', 'stubborn', 'ready');
      const pids = JSON.parse(
        (
          await h.c.agent.listProcesses({ container_id: 'stubborn', format: 'json', args: [] })
        ).process_list.toString(),
      ) as number[];
      const started = Date.now();
      await h.c.agent.removeContainer({ container_id: 'stubborn', timeout: 10 });
      assert.ok(Date.now() - started < 5000, 'removal did not wait for a timeout');
      for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `pid ${pid} gone`);
      await waitFor(() => !existsSync(cgroupDir(h, 'memory', 'stubborn')), {
        what: 'the cgroup removed',
        intervalMs: 20,
      });
      await waitFor(() => !existsSync(h.guest(`/run/kata-agent/runtime/${runtime}/stubborn`)), {
        what: 'the runtime state removed',
        intervalMs: 20,
      });
      await expectCode(
        h.c.agent.waitProcess({ container_id: 'stubborn', exec_id: 'stubborn' }),
        status.NOT_FOUND,
      );
    });

    test('a created container is removed without being started', async () => {
      await createContainer(h, 'never', ['true']);
      await h.c.agent.removeContainer({ container_id: 'never', timeout: 5 });
      await expectCode(h.c.agent.startContainer({ container_id: 'never' }), status.NOT_FOUND);
    });
  });
}
