import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { Code as status } from '../../src/common/status';
import { CreateContainerRequest } from '../../src/generated/agent';
import { LinuxResources } from '../../src/generated/oci';
import {
  busyboxSpec,
  cgroupDir,
  createContainer,
  exec,
  expectCode,
  startHarness,
  type Harness,
  SUITE_TIMEOUT_MS,
} from '../../tools/testkit/containers';

const runtime = 'crun';

describe('requests before CreateSandbox', { timeout: SUITE_TIMEOUT_MS }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ runtime, noSandbox: true });
  });
  after(async () => {
    await h.stop();
  });

  test('container and process RPCs are FAILED_PRECONDITION, lookups NOT_FOUND', async () => {
    await expectCode(createContainer(h, 'c', ['true']), status.FAILED_PRECONDITION, /Sandbox not started/);
    await expectCode(h.c.agent.startContainer({ container_id: 'c' }), status.FAILED_PRECONDITION);
    await expectCode(exec(h, 'c', 'e', ['true']), status.FAILED_PRECONDITION);
    await expectCode(
      h.c.agent.signalProcess({ container_id: 'c', exec_id: '', signal: 9 }),
      status.FAILED_PRECONDITION,
    );
    await expectCode(h.c.agent.waitProcess({ container_id: 'c', exec_id: 'c' }), status.FAILED_PRECONDITION);
    await expectCode(h.c.agent.removeContainer({ container_id: 'c', timeout: 0 }), status.NOT_FOUND);
    await expectCode(h.c.agent.statsContainer({ container_id: 'c' }), status.NOT_FOUND);
    // Destroying a sandbox that does not exist is a no-op.
    await h.c.agent.destroySandbox({});
  });
});

describe('bad requests (crun)', { timeout: SUITE_TIMEOUT_MS }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ runtime });
  });
  after(async () => {
    await h.stop();
  });

  test('a second CreateSandbox is ALREADY_EXISTS', async () => {
    await expectCode(
      h.c.agent.createSandbox({
        hostname: '',
        dns: [],
        storages: [],
        sandbox_pidns: false,
        sandbox_id: 'again',
        guest_hook_path: '',
        kernel_modules: [],
      }),
      status.ALREADY_EXISTS,
    );
  });

  test('missing spec, process, args or root and unsafe ids are INVALID_ARGUMENT', async () => {
    const base = { container_id: 'x', exec_id: 'x', OCI: busyboxSpec(['true']) };
    const bad: [string, Partial<CreateContainerRequest>][] = [
      ['no OCI', { OCI: undefined }],
      ['no Process', { OCI: { ...busyboxSpec(['true']), Process: undefined } }],
      ['empty args', { OCI: busyboxSpec([]) }],
      ['no Root', { OCI: { ...busyboxSpec(['true']), Root: undefined } }],
      ['id with /', { container_id: 'a/b' }],
      ['id with ..', { container_id: 'a..b' }],
      ['id ..', { container_id: '..' }],
      ['empty id', { container_id: '' }],
      ['exec id with /', { exec_id: '../x' }],
    ];
    for (const [what, change] of bad) {
      const err = await expectCode(
        h.c.agent.createContainer(CreateContainerRequest.fromPartial({ ...base, ...change })),
        status.INVALID_ARGUMENT,
      );
      assert.ok(err.details.length > 0, what);
    }
    await expectCode(exec(h, 'x', 'e', []), status.INVALID_ARGUMENT);
    await expectCode(
      h.c.agent.execProcess({ container_id: 'x', exec_id: 'e', string_user: undefined, process: undefined }),
      status.INVALID_ARGUMENT,
    );
    await expectCode(
      h.c.agent.updateContainer({ container_id: 'x', resources: undefined }),
      status.INVALID_ARGUMENT,
    );
    await expectCode(h.c.agent.waitProcess({ container_id: 'x/y', exec_id: 'x' }), status.INVALID_ARGUMENT);
  });

  test('NUL bytes in hostnames, modules, hook paths, DNS and ps arguments are INVALID_ARGUMENT', async () => {
    const sandbox = {
      hostname: '',
      dns: [],
      storages: [],
      sandbox_pidns: false,
      sandbox_id: '',
      guest_hook_path: '',
      kernel_modules: [],
    };
    for (const bad of [
      { hostname: 'a\0b' },
      { dns: ['nameserver 1.1.1.1\0'] },
      { guest_hook_path: '/hooks\0' },
      { kernel_modules: [{ name: 'm', parameters: ['a=\0'] }] },
    ]) {
      await expectCode(
        h.c.agent.createSandbox({ ...sandbox, ...bad }),
        status.INVALID_ARGUMENT,
        /NUL|not valid/,
      );
    }
    await expectCode(
      h.c.agent.listProcesses({ container_id: 'x', format: 'table', args: ['-e\0'] }),
      status.INVALID_ARGUMENT,
    );
  });

  test('CPU and memory-node lists past what a guest can have are INVALID_ARGUMENT, and the agent lives on', async () => {
    const cpu = (Cpus: string, Mems = '') => ({
      Shares: 0n,
      Quota: 0n,
      Period: 0n,
      RealtimeRuntime: 0n,
      RealtimePeriod: 0n,
      Cpus,
      Mems,
    });
    await expectCode(
      createContainer(h, 'cpus', ['true'], {
        linux: { Resources: resourcesWith({ CPU: cpu('0-200000000') }) },
      }),
      status.INVALID_ARGUMENT,
      /Linux\.Resources\.CPU\.Cpus: CPU range "0-200000000" goes past 8191/,
    );
    await expectCode(
      createContainer(h, 'mems', ['true'], {
        linux: { Resources: resourcesWith({ CPU: cpu('', '0-99999999') }) },
      }),
      status.INVALID_ARGUMENT,
      /Linux\.Resources\.CPU\.Mems/,
    );
    await createContainer(h, 'cpus', ['cat']);
    await expectCode(
      h.c.agent.updateContainer({
        container_id: 'cpus',
        resources: resourcesWith({ CPU: cpu('0-200000000') }),
      }),
      status.INVALID_ARGUMENT,
      /Cpus/,
    );
    await h.c.agent.removeContainer({ container_id: 'cpus', timeout: 0 });
    await h.c.health.check({ service: '' });
  });

  test('a host PID namespace in libcontainer spelling is refused', async () => {
    await expectCode(
      createContainer(h, 'newpid', ['true'], {
        linux: { Namespaces: [{ Type: 'NEWPID', Path: '' }] },
      }),
      status.FAILED_PRECONDITION,
      /Unexpected PID namespace/,
    );
  });

  test('unknown containers and processes are NOT_FOUND', async () => {
    const c = { container_id: 'ghost' };
    const p = { container_id: 'ghost', exec_id: 'ghost' };
    await expectCode(h.c.agent.startContainer(c), status.NOT_FOUND, /Container ghost not found/);
    await expectCode(h.c.agent.removeContainer({ ...c, timeout: 0 }), status.NOT_FOUND);
    await expectCode(h.c.agent.pauseContainer(c), status.NOT_FOUND);
    await expectCode(h.c.agent.resumeContainer(c), status.NOT_FOUND);
    await expectCode(h.c.agent.statsContainer(c), status.NOT_FOUND);
    await expectCode(h.c.agent.listProcesses({ ...c, format: 'json', args: [] }), status.NOT_FOUND);
    await expectCode(exec(h, 'ghost', 'e', ['true']), status.NOT_FOUND);
    await expectCode(h.c.agent.signalProcess({ ...c, exec_id: '', signal: 9 }), status.NOT_FOUND);
    await expectCode(h.c.agent.waitProcess(p), status.NOT_FOUND);
    await expectCode(h.c.agent.readStdout({ ...p, len: 10 }), status.NOT_FOUND);
    await expectCode(h.c.agent.readStderr({ ...p, len: 10 }), status.NOT_FOUND);
    await expectCode(h.c.agent.writeStdin({ ...p, data: Buffer.from('x') }), status.NOT_FOUND);
    await expectCode(h.c.agent.closeStdin(p), status.NOT_FOUND);
    await expectCode(h.c.agent.ttyWinResize({ ...p, row: 1, column: 1 }), status.NOT_FOUND);

    await createContainer(h, 'known', ['cat']);
    const q = { container_id: 'known', exec_id: 'nope' };
    await expectCode(
      h.c.agent.waitProcess(q),
      status.NOT_FOUND,
      /Process nope not found \(container known\)/,
    );
    await expectCode(h.c.agent.readStdout({ ...q, len: 1 }), status.NOT_FOUND);
    await expectCode(h.c.agent.signalProcess({ ...q, signal: 9 }), status.NOT_FOUND);
    await h.c.agent.removeContainer({ container_id: 'known', timeout: 0 });
  });

  test('duplicates are ALREADY_EXISTS and wrong states FAILED_PRECONDITION', async () => {
    await createContainer(h, 'dup', ['cat']);
    await expectCode(createContainer(h, 'dup', ['true']), status.ALREADY_EXISTS, /already exists/);
    await expectCode(
      h.c.agent.resumeContainer({ container_id: 'dup' }),
      status.FAILED_PRECONDITION,
      /not paused/,
    );
    await h.c.agent.startContainer({ container_id: 'dup' });
    await expectCode(
      h.c.agent.startContainer({ container_id: 'dup' }),
      status.FAILED_PRECONDITION,
      /status running, should be created/,
    );
    await expectCode(h.c.agent.resumeContainer({ container_id: 'dup' }), status.FAILED_PRECONDITION);
    await expectCode(
      h.c.agent.ttyWinResize({ container_id: 'dup', exec_id: 'dup', row: 10, column: 10 }),
      status.FAILED_PRECONDITION,
      /Terminal is not set/,
    );
    await exec(h, 'dup', 'x1', ['cat']);
    await expectCode(exec(h, 'dup', 'x1', ['true']), status.ALREADY_EXISTS);
    await h.c.agent.signalProcess({ container_id: 'dup', exec_id: '', signal: 9 });
    await h.c.agent.waitProcess({ container_id: 'dup', exec_id: 'dup' });
    await expectCode(exec(h, 'dup', 'x2', ['true']), status.FAILED_PRECONDITION, /stopped container/);
    await expectCode(h.c.agent.pauseContainer({ container_id: 'dup' }), status.FAILED_PRECONDITION);
    await expectCode(h.c.agent.startContainer({ container_id: 'dup' }), status.FAILED_PRECONDITION);
    // Signals to a stopped container are discarded, as in 1.x.
    await h.c.agent.signalProcess({ container_id: 'dup', exec_id: 'dup', signal: 15 });
    await h.c.agent.removeContainer({ container_id: 'dup', timeout: 0 });
  });

  test('a failed create leaves nothing behind and the id can be used again', async () => {
    const storages = [
      {
        driver: 'ephemeral',
        driver_options: [],
        source: 'tmpfs',
        fstype: 'tmpfs',
        options: [],
        mount_point: '/run/kata-containers/sandbox/ephemeral/failing',
      },
    ];
    await expectCode(createContainer(h, 'fails', ['/no/such/binary'], { storages }), status.INTERNAL, /crun/);
    assert.equal(existsSync(h.guest('/run/kata-agent/bundles/fails')), false, 'bundle removed');
    assert.equal(existsSync(h.guest('/run/kata-agent/runtime/crun/fails')), false, 'runtime state removed');
    assert.equal(existsSync(cgroupDir(h, 'memory', 'fails')), false, 'cgroup removed');
    assert.deepEqual(h.storage.mountPoints, [], 'storage released');
    assert.deepEqual(readdirSync(h.guest('/run/kata-agent/console')), []);
    await expectCode(createContainer(h, 'fails', ['true'], { root: '/missing' }), status.INVALID_ARGUMENT);
    await createContainer(h, 'fails', ['true'], { storages });
    assert.equal(h.storage.mountPoints.length, 1);
    await h.c.agent.removeContainer({ container_id: 'fails', timeout: 0 });
    assert.deepEqual(h.storage.mountPoints, []);
    await expectCode(
      createContainer(h, 'baddriver', ['true'], { storages: [{ ...storages[0], driver: 'nfs' }] }),
      status.INVALID_ARGUMENT,
      /Unknown storage driver/,
    );
  });

  test('RemoveContainer past its timeout is DEADLINE_EXCEEDED and can be retried', async () => {
    await createContainer(h, 'frozen', ['cat']);
    await h.c.agent.startContainer({ container_id: 'frozen' });
    // Frozen behind the agent's back: SIGKILL cannot act until the cgroup thaws.
    const state = `${cgroupDir(h, 'freezer', 'frozen')}/freezer.state`;
    writeFileSync(state, 'FROZEN');
    await expectCode(
      h.c.agent.removeContainer({ container_id: 'frozen', timeout: 1 }),
      status.DEADLINE_EXCEEDED,
      /Timeout reached after 1s/,
    );
    await h.c.agent.statsContainer({ container_id: 'frozen' });
    writeFileSync(state, 'THAWED');
    await h.c.agent.removeContainer({ container_id: 'frozen', timeout: 5 });
    await expectCode(h.c.agent.statsContainer({ container_id: 'frozen' }), status.NOT_FOUND);
  });

  test('exec of a missing binary fails cleanly', async () => {
    await createContainer(h, 'execfail', ['cat']);
    await h.c.agent.startContainer({ container_id: 'execfail' });
    await expectCode(
      exec(h, 'execfail', 'bad', ['/no/such/binary']),
      status.INTERNAL,
      /Could not run process/,
    );
    await expectCode(h.c.agent.waitProcess({ container_id: 'execfail', exec_id: 'bad' }), status.NOT_FOUND);
    // The id is free again.
    await exec(h, 'execfail', 'bad', ['true']);
    assert.equal((await h.c.agent.waitProcess({ container_id: 'execfail', exec_id: 'bad' })).status, 0);
    await h.c.agent.removeContainer({ container_id: 'execfail', timeout: 0 });
  });

  test('signal numbers out of range are INVALID_ARGUMENT', async () => {
    await expectCode(
      h.c.agent.signalProcess({ container_id: 'any', exec_id: '', signal: 1000 }),
      status.INVALID_ARGUMENT,
    );
  });
});

function resourcesWith(fields: Partial<LinuxResources>): LinuxResources {
  return LinuxResources.fromPartial(fields);
}
